using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Ipw.Abstractions;

namespace Ipw.Core.Runs;

/// <summary>A typed column: its Arrow type, its Hugging Face feature dtype and how to read it from a row. A batch's
/// length is known before it is built, so each column makes its buffers once at their exact size (Arrow's builders
/// start small and double, then copy what they grew into a buffer of their own on Build: under load that was a
/// quarter of what a query allocated).</summary>
internal abstract class Column<TRow>(string name, IArrowType type, string hfDtype)
{
    public string Name { get; } = name;
    public IArrowType Type { get; } = type;
    public string HfDtype { get; } = hfDtype;

    /// <summary>The column's Hugging Face feature: a <c>Value</c> of its dtype.</summary>
    public virtual object HfFeature => new Dictionary<string, string> { ["dtype"] = HfDtype, ["_type"] = "Value" };
    public Field Field => new(Name, Type, nullable: true);
    public abstract IArrowArray Build(IReadOnlyList<TRow> rows);
}

/// <summary>A bitmap for a known number of rows, packed as Arrow packs validity and boolean values.</summary>
internal sealed class Bitmap(int length)
{
    private readonly byte[] _bits = new byte[(length + 7) / 8];

    /// <summary>How many rows were set to false: the nulls, where this is a validity bitmap.</summary>
    public int Zeros { get; private set; }

    public void Set(int index, bool bit)
    {
        if (bit) _bits[index >> 3] |= (byte)(1 << (index & 7));
        else Zeros++;
    }

    /// <summary>The bits as a validity buffer: none when no row is null (Arrow's convention).</summary>
    public ArrowBuffer Validity => Zeros == 0 ? ArrowBuffer.Empty : Bits;

    public ArrowBuffer Bits => new(_bits);
}

/// <summary>A column of fixed-width values: one buffer of the batch's length and a validity bitmap.</summary>
internal abstract class FixedColumn<TRow, T>(string name, IArrowType type, string hfDtype) : Column<TRow>(name, type, hfDtype)
    where T : unmanaged
{
    /// <summary>The row's value, false (and the default) for a null.</summary>
    protected abstract bool TryGet(TRow row, out T value);

    protected abstract IArrowArray Make(ArrowBuffer values, ArrowBuffer validity, int length, int nulls);

    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var bytes = new byte[rows.Count * Unsafe.SizeOf<T>()];
        var values = MemoryMarshal.Cast<byte, T>(bytes.AsSpan());
        var valid = new Bitmap(rows.Count);
        for (var i = 0; i < rows.Count; i++) valid.Set(i, TryGet(rows[i], out values[i]));
        return Make(new ArrowBuffer(bytes), valid.Validity, rows.Count, valid.Zeros);
    }
}

internal sealed class StringColumn<TRow>(string name, Func<TRow, string?> get) : Column<TRow>(name, StringType.Default, "string")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var n = rows.Count;
        var total = 0;
        for (var i = 0; i < n; i++)
            if (get(rows[i]) is { } v) total += Encoding.UTF8.GetByteCount(v);
        var offsetBytes = new byte[(n + 1) * sizeof(int)];
        var offsets = MemoryMarshal.Cast<byte, int>(offsetBytes.AsSpan());
        var data = new byte[total];
        var valid = new Bitmap(n);
        var at = 0;
        for (var i = 0; i < n; i++)
        {
            var v = get(rows[i]);
            valid.Set(i, v is not null);
            if (v is not null) at += Encoding.UTF8.GetBytes(v, data.AsSpan(at));
            offsets[i + 1] = at;
        }
        return new StringArray(n, new ArrowBuffer(offsetBytes), new ArrowBuffer(data), valid.Validity, valid.Zeros);
    }
}

internal sealed class Int64Column<TRow>(string name, Func<TRow, long?> get) : FixedColumn<TRow, long>(name, Int64Type.Default, "int64")
{
    protected override bool TryGet(TRow row, out long value)
    {
        var v = get(row);
        value = v.GetValueOrDefault();
        return v.HasValue;
    }

    protected override IArrowArray Make(ArrowBuffer values, ArrowBuffer validity, int length, int nulls) =>
        new Int64Array(values, validity, length, nulls, 0);
}

internal sealed class DoubleColumn<TRow>(string name, Func<TRow, double?> get) : FixedColumn<TRow, double>(name, DoubleType.Default, "float64")
{
    // NaN means "not measured" inside the pipeline; on disk it is a null.
    protected override bool TryGet(TRow row, out double value)
    {
        var v = get(row);
        var ok = v is { } x && !double.IsNaN(x);
        value = ok ? v!.Value : 0;
        return ok;
    }

    protected override IArrowArray Make(ArrowBuffer values, ArrowBuffer validity, int length, int nulls) =>
        new DoubleArray(values, validity, length, nulls, 0);
}

internal sealed class BoolColumn<TRow>(string name, Func<TRow, bool?> get) : Column<TRow>(name, BooleanType.Default, "bool")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var values = new Bitmap(rows.Count);
        var valid = new Bitmap(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var v = get(rows[i]);
            valid.Set(i, v.HasValue);
            values.Set(i, v == true);
        }
        return new BooleanArray(values.Bits, valid.Validity, rows.Count, valid.Zeros, 0);
    }
}

internal sealed class DoubleListColumn<TRow>(string name, Func<TRow, IReadOnlyList<double>?> get)
    : Column<TRow>(name, new ListType(Items.Field), "float64")
{
    private static readonly DoubleColumn<double> Items = new("item", v => v);

    /// <summary>A <c>Sequence</c> of float64: read by datasets 2.x to 4.x alike (<c>List</c> exists only in 4.x).</summary>
    public override object HfFeature => new Dictionary<string, object> { ["feature"] = Items.HfFeature, ["_type"] = "Sequence" };

    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var (offsets, valid, items) = ListParts.Of(rows, get);
        return new ListArray(Type, rows.Count, offsets, Items.Build(items), valid.Validity, valid.Zeros);
    }
}

/// <summary>A list column's offsets and validity, and its items in order, gathered into one list sized first.</summary>
internal static class ListParts
{
    public static (ArrowBuffer Offsets, Bitmap Valid, List<TItem> Items) Of<TRow, TItem>(IReadOnlyList<TRow> rows, Func<TRow, IReadOnlyList<TItem>?> get)
    {
        var n = rows.Count;
        var total = 0;
        for (var i = 0; i < n; i++) total += get(rows[i])?.Count ?? 0;
        var items = new List<TItem>(total);
        var offsetBytes = new byte[(n + 1) * sizeof(int)];
        var offsets = MemoryMarshal.Cast<byte, int>(offsetBytes.AsSpan());
        var valid = new Bitmap(n);
        for (var i = 0; i < n; i++)
        {
            var list = get(rows[i]);
            valid.Set(i, list is not null);
            for (var k = 0; k < (list?.Count ?? 0); k++) items.Add(list![k]);
            offsets[i + 1] = items.Count;
        }
        return (new ArrowBuffer(offsetBytes), valid, items);
    }
}

/// <summary>A device-by-device column (<see cref="DeviceEnergy"/>): a list of named entries, one per device.</summary>
internal sealed class DeviceListColumn<TRow>(string name, Func<TRow, IReadOnlyList<DeviceEnergy>?> get)
    : Column<TRow>(name, new ListType(new Field("item", Entry, nullable: true)), "struct")
{
    /// <summary>An entry's fields: each built as a column of its own over the batch's entries.</summary>
    private static readonly Column<DeviceEnergy>[] Fields =
    [
        new StringColumn<DeviceEnergy>("device", d => d.Device),
        new DoubleColumn<DeviceEnergy>("energy_j", d => d.EnergyJ),
        new DoubleColumn<DeviceEnergy>("active_energy_j", d => d.ActiveEnergyJ),
        new DoubleColumn<DeviceEnergy>("avg_power_w", d => d.AvgPowerW),
    ];

    internal static readonly StructType Entry = new(Fields.Select(f => f.Field).ToList());

    /// <summary>A list of the entry's fields, written as datasets writes a list feature (<c>[{...}]</c>): read by datasets
    /// 2.x to 4.x alike (a <c>Sequence</c> of a dict would mean a dict of lists there).</summary>
    public override object HfFeature => new object[] { Fields.ToDictionary(f => f.Name, f => f.HfFeature) };

    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var (offsets, valid, items) = ListParts.Of(rows, get);
        var entries = new StructArray(Entry, items.Count, Fields.Select(f => f.Build(items)).ToArray(), ArrowBuffer.Empty, 0);
        return new ListArray(Type, rows.Count, offsets, entries, valid.Validity, valid.Zeros);
    }
}
