using Apache.Arrow;
using Apache.Arrow.Types;
using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Core.Runs;

/// <summary>A typed column: its Arrow type, its Hugging Face feature dtype and how to read it from a row.</summary>
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

internal sealed class StringColumn<TRow>(string name, Func<TRow, string?> get) : Column<TRow>(name, StringType.Default, "string")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new StringArray.Builder();
        foreach (var row in rows)
        {
            var v = get(row);
            if (v is null) b.AppendNull(); else b.Append(v);
        }
        return b.Build();
    }
}

internal sealed class Int64Column<TRow>(string name, Func<TRow, long?> get) : Column<TRow>(name, Int64Type.Default, "int64")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new Int64Array.Builder();
        foreach (var row in rows)
        {
            if (get(row) is { } v) b.Append(v); else b.AppendNull();
        }
        return b.Build();
    }
}

internal sealed class DoubleColumn<TRow>(string name, Func<TRow, double?> get) : Column<TRow>(name, DoubleType.Default, "float64")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new DoubleArray.Builder();
        foreach (var row in rows)
        {
            // NaN means "not measured" inside the pipeline; on disk it is a null.
            if (get(row) is { } v && !double.IsNaN(v)) b.Append(v); else b.AppendNull();
        }
        return b.Build();
    }
}

internal sealed class DoubleListColumn<TRow>(string name, Func<TRow, IReadOnlyList<double>?> get)
    : Column<TRow>(name, new ListType(new Field("item", DoubleType.Default, nullable: true)), "float64")
{
    /// <summary>A <c>Sequence</c> of float64: read by datasets 2.x to 4.x alike (<c>List</c> exists only in 4.x).</summary>
    public override object HfFeature => new Dictionary<string, object>
    {
        ["feature"] = new Dictionary<string, string> { ["dtype"] = "float64", ["_type"] = "Value" },
        ["_type"] = "Sequence",
    };

    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new ListArray.Builder(DoubleType.Default);
        var values = (DoubleArray.Builder)b.ValueBuilder;
        foreach (var row in rows)
        {
            if (get(row) is not { } list)
            {
                b.AppendNull();
                continue;
            }
            b.Append();
            foreach (var v in list)
                if (double.IsNaN(v)) values.AppendNull(); else values.Append(v);
        }
        return b.Build();
    }
}

/// <summary>A device-by-device column (<see cref="DeviceEnergy"/>): a list of named entries, one per device.</summary>
internal sealed class DeviceListColumn<TRow>(string name, Func<TRow, IReadOnlyList<DeviceEnergy>?> get)
    : Column<TRow>(name, new ListType(new Field("item", Entry, nullable: true)), "struct")
{
    internal static readonly StructType Entry = new([
        new Field("device", StringType.Default, nullable: true),
        new Field("energy_j", DoubleType.Default, nullable: true),
        new Field("active_energy_j", DoubleType.Default, nullable: true),
        new Field("avg_power_w", DoubleType.Default, nullable: true),
    ]);

    /// <summary>A list of the entry's fields, written as datasets writes a list feature (<c>[{...}]</c>): read by datasets
    /// 2.x to 4.x alike (a <c>Sequence</c> of a dict would mean a dict of lists there).</summary>
    public override object HfFeature => new object[]
    {
        new Dictionary<string, object>
        {
            ["device"] = new Dictionary<string, string> { ["dtype"] = "string", ["_type"] = "Value" },
            ["energy_j"] = new Dictionary<string, string> { ["dtype"] = "float64", ["_type"] = "Value" },
            ["active_energy_j"] = new Dictionary<string, string> { ["dtype"] = "float64", ["_type"] = "Value" },
            ["avg_power_w"] = new Dictionary<string, string> { ["dtype"] = "float64", ["_type"] = "Value" },
        },
    };

    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var devices = new StringArray.Builder();
        var energy = new DoubleArray.Builder();
        var active = new DoubleArray.Builder();
        var power = new DoubleArray.Builder();
        var offsets = new ArrowBuffer.Builder<int>();
        var valid = new ArrowBuffer.BitmapBuilder();
        var nulls = 0;
        offsets.Append(0);
        static void Append(DoubleArray.Builder b, double? v)
        {
            if (v is { } x && !double.IsNaN(x)) b.Append(x); else b.AppendNull();
        }
        foreach (var row in rows)
        {
            var list = get(row);
            if (list is null) nulls++;
            valid.Append(list is not null);
            foreach (var d in list ?? [])
            {
                devices.Append(d.Device);
                Append(energy, d.EnergyJ);
                Append(active, d.ActiveEnergyJ);
                Append(power, d.AvgPowerW);
            }
            offsets.Append(devices.Length);
        }
        var entries = new StructArray(Entry, devices.Length, [devices.Build(), energy.Build(), active.Build(), power.Build()], ArrowBuffer.Empty, 0);
        return new ListArray(Type, rows.Count, offsets.Build(), entries, nulls > 0 ? valid.Build() : ArrowBuffer.Empty, nulls);
    }
}

internal sealed class BoolColumn<TRow>(string name, Func<TRow, bool?> get) : Column<TRow>(name, BooleanType.Default, "bool")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new BooleanArray.Builder();
        foreach (var row in rows)
        {
            if (get(row) is { } v) b.Append(v); else b.AppendNull();
        }
        return b.Build();
    }
}

/// <summary>A table layout: the columns, the Arrow schema and the Hugging Face features.</summary>
internal sealed class TableLayout<TRow>
{
    public IReadOnlyList<Column<TRow>> Columns { get; }
    public Schema Schema { get; }

    public TableLayout(IReadOnlyList<Column<TRow>> columns)
    {
        Columns = columns;
        var builder = new Schema.Builder();
        foreach (var c in columns) builder.Field(c.Field);
        Schema = builder.Build();
    }

    public RecordBatch Batch(IReadOnlyList<TRow> rows)
    {
        var arrays = new IArrowArray[Columns.Count];
        for (var i = 0; i < arrays.Length; i++) arrays[i] = Columns[i].Build(rows);
        return new RecordBatch(Schema, arrays, rows.Count);
    }

    /// <summary>The <c>features</c> object of dataset_info.json, matching the Arrow types exactly.</summary>
    public Dictionary<string, object> HfFeatures() =>
        Columns.ToDictionary(c => c.Name, c => c.HfFeature);
}

/// <summary>The per-query record layout (data-*.arrow), made from <see cref="RecordColumns"/>: the one schema.</summary>
internal static class RecordSchema
{
    public static TableLayout<QueryRecord> Layout { get; } = new(RecordColumns.All.Select(Column).ToArray());

    /// <summary>The batch with <paramref name="columns"/> made from <paramref name="records"/> (one per row, in order)
    /// and every other column as it was (sharing its buffers). The batch keeps its own schema: a file made by an ipw
    /// with other columns keeps them.</summary>
    public static RecordBatch ReplaceColumns(RecordBatch batch, IReadOnlyList<QueryRecord> records, IReadOnlyCollection<RecordColumn> columns)
    {
        var arrays = new IArrowArray[batch.ColumnCount];
        for (var c = 0; c < arrays.Length; c++)
        {
            var name = batch.Schema.FieldsList[c].Name;
            arrays[c] = columns.Any(r => r.Name == name) ? Layout.Columns.First(l => l.Name == name).Build(records) : batch.Column(c);
        }
        return new RecordBatch(batch.Schema, arrays, batch.Length);
    }

    private static Column<QueryRecord> Column(RecordColumn column) => column switch
    {
        RecordColumn<string?> c => new StringColumn<QueryRecord>(c.Name, r => r.Get(c)),
        RecordColumn<long?> c => new Int64Column<QueryRecord>(c.Name, r => r.Get(c)),
        RecordColumn<double?> c => new DoubleColumn<QueryRecord>(c.Name, r => r.Get(c)),
        RecordColumn<bool?> c => new BoolColumn<QueryRecord>(c.Name, r => r.Get(c)),
        RecordColumn<IReadOnlyList<double>?> c => new DoubleListColumn<QueryRecord>(c.Name, r => r.Get(c)),
        RecordColumn<IReadOnlyList<DeviceEnergy>?> c => new DeviceListColumn<QueryRecord>(c.Name, r => r.Get(c)),
        _ => throw new InvalidOperationException($"column {column.Name}: no Arrow mapping for its type"),
    };
}
