using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Core.Runs;

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
