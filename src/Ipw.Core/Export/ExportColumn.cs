using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using Ipw.Abstractions;

namespace Ipw.Core.Export;

/// <summary>What a column holds, as the export writers see it.</summary>
internal enum CellKind
{
    Text,
    Int,
    Double,
    Bool,
    DoubleList,
    /// <summary>A list of entries with named text and number fields (<c>energy_by_device</c>).</summary>
    EntryList,
}

/// <summary>
/// One column of a run's data file as it is exported: its name as in the file, what it holds, and its place in the file's
/// batches. Taken from the file's own schema, not from <see cref="RecordColumns"/>, so a file written by another ipw
/// exports every column it has. The readers below turn a cell into a value, null where it is missing (never 0).
/// </summary>
internal sealed record ExportColumn(string Name, CellKind Kind, int Index)
{
    /// <summary>An entry list's fields, in order: name, and whether it is text (else a double).</summary>
    public IReadOnlyList<(string Name, bool IsText)>? EntryFields { get; init; }

    /// <summary>Text columns that hold a wall-clock time (ISO 8601, as <see cref="RecordColumns.StartedAt"/> is written):
    /// Parquet, which has a timestamp type, gets them as one; CSV and JSON Lines keep the text as it is.</summary>
    public bool IsTimestamp => Kind == CellKind.Text && Name == RecordColumns.StartedAt.Name;

    /// <summary>The columns of <paramref name="schema"/> to export: every one, in file order, or those named in
    /// <paramref name="wanted"/>, in that order.</summary>
    /// <exception cref="UserError">A name the file lacks or names twice, or a column of a type export does not know.</exception>
    public static IReadOnlyList<ExportColumn> Of(Schema schema, IReadOnlyList<string>? wanted, string dataPath)
    {
        var names = wanted ?? schema.FieldsList.Select(f => f.Name).ToList();
        var columns = new List<ExportColumn>(names.Count);
        foreach (var name in names)
        {
            var index = schema.GetFieldIndex(name);
            if (index < 0)
                throw new UserError($"{dataPath} has no column '{name}' (its columns: {string.Join(", ", schema.FieldsList.Select(f => f.Name))})");
            if (columns.Any(c => c.Name == name)) throw new UserError($"column '{name}' is named twice");
            var type = schema.FieldsList[index].DataType;
            var kind = KindOf(type) ?? throw new UserError($"{dataPath}: column '{name}' is of Arrow type {type.Name}, which ipw export does not write");
            columns.Add(new ExportColumn(name, kind, index)
            {
                EntryFields = type is ListType { ValueDataType: StructType entry } ? entry.Fields.Select(f => (f.Name, f.DataType is StringType)).ToArray() : null,
            });
        }
        return columns;
    }

    /// <summary>Writes the cell in <paramref name="row"/> as a JSON value: null where it is missing, a list as an array.</summary>
    public void WriteJson(Utf8JsonWriter json, IArrowArray array, int row)
    {
        switch (Kind)
        {
            case CellKind.DoubleList: WriteList(json, array, row); return;
            case CellKind.EntryList: WriteEntries(json, array, row); return;
            case CellKind.Text when Text(array, row) is { } text: json.WriteStringValue(text); return;
            case CellKind.Int when Int(array, row) is { } number: json.WriteNumberValue(number); return;
            case CellKind.Double when Double(array, row) is { } value: json.WriteNumberValue(value); return;
            case CellKind.Bool when Bool(array, row) is { } flag: json.WriteBooleanValue(flag); return;
            default: json.WriteNullValue(); return;
        }
    }

    private static CellKind? KindOf(IArrowType type) => type switch
    {
        StringType or LargeStringType => CellKind.Text,
        Int64Type or Int32Type => CellKind.Int,
        DoubleType => CellKind.Double,
        BooleanType => CellKind.Bool,
        ListType { ValueDataType: DoubleType } => CellKind.DoubleList,
        ListType { ValueDataType: StructType entry } when entry.Fields.All(f => f.DataType is StringType or DoubleType) => CellKind.EntryList,
        _ => null,
    };

    public static string? Text(IArrowArray array, int row) => array switch
    {
        StringArray s => s.GetString(row),
        LargeStringArray s => s.GetString(row),
        _ => null,
    };

    public static long? Int(IArrowArray array, int row) => array switch
    {
        Int64Array l => l.GetValue(row),
        Int32Array n => n.GetValue(row),
        _ => null,
    };

    /// <summary>A double, null where missing: NaN means "not measured" in ipw, and a run file holds none (its writer
    /// stores a null); JSON has no NaN or infinity, so every format writes a non-finite value as missing.</summary>
    public static double? Double(IArrowArray array, int row) =>
        array is DoubleArray d && d.GetValue(row) is { } v && double.IsFinite(v) ? v : null;

    public static bool? Bool(IArrowArray array, int row) => array is BooleanArray b ? b.GetValue(row) : null;

    /// <summary>The list in <paramref name="row"/> as a span of its values' positions in <paramref name="values"/>;
    /// false when the list itself is missing.</summary>
    public static bool List(IArrowArray array, int row, out DoubleArray values, out int start, out int length)
    {
        var list = (ListArray)array;
        values = (DoubleArray)list.Values;
        start = list.ValueOffsets[row];
        length = list.GetValueLength(row);
        return !list.IsNull(row);
    }

    /// <summary>Writes the list in <paramref name="row"/> as a JSON array (a missing element as null), or null.</summary>
    public static void WriteList(Utf8JsonWriter json, IArrowArray array, int row)
    {
        if (!List(array, row, out var values, out var start, out var length))
        {
            json.WriteNullValue();
            return;
        }
        json.WriteStartArray();
        for (var k = start; k < start + length; k++)
        {
            if (Double(values, k) is { } v) json.WriteNumberValue(v);
            else json.WriteNullValue();
        }
        json.WriteEndArray();
    }

    /// <summary>Writes the list of entries in <paramref name="row"/> as a JSON array of objects, each field by its name
    /// (a missing value as null), or null.</summary>
    public static void WriteEntries(Utf8JsonWriter json, IArrowArray array, int row)
    {
        var list = (ListArray)array;
        if (list.IsNull(row))
        {
            json.WriteNullValue();
            return;
        }
        var entries = (StructArray)list.Values;
        var fields = ((StructType)entries.Data.DataType).Fields;
        json.WriteStartArray();
        for (var k = list.ValueOffsets[row]; k < list.ValueOffsets[row] + list.GetValueLength(row); k++)
        {
            json.WriteStartObject();
            for (var f = 0; f < fields.Count; f++)
            {
                json.WritePropertyName(fields[f].Name);
                if (Text(entries.Fields[f], k) is { } text) json.WriteStringValue(text);
                else if (Double(entries.Fields[f], k) is { } value) json.WriteNumberValue(value);
                else json.WriteNullValue();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>The list in <paramref name="row"/> as JSON text (for CSV), or null when it is missing.</summary>
    public static string? ListJson(IArrowArray array, int row, CellKind kind)
    {
        if (array.IsNull(row)) return null;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            if (kind == CellKind.EntryList) WriteEntries(json, array, row);
            else WriteList(json, array, row);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A timestamp column's value as a UTC time.</summary>
    /// <exception cref="UserError">The text is not a time.</exception>
    public static DateTime? Timestamp(IArrowArray array, int row, string column, long rowNumber, string dataPath)
    {
        if (Text(array, row) is not { } text) return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.UtcDateTime
            : throw new UserError($"{dataPath}: row {rowNumber}: {column} '{text}' is not an ISO 8601 time");
    }
}
