using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Core.Runs;

/// <summary>Reads records back from a data file's batches, column by column under <see cref="RecordColumns"/>' names and
/// types (the inverse of <see cref="RecordSchema"/>); a column the file lacks reads as missing. What no column keeps (the
/// inter-token gaps) stays empty.</summary>
internal static class RecordReader
{
    /// <summary>Every record of a data file, in order, streamed batch by batch.</summary>
    /// <param name="columns">The columns to read (the others read as missing); null for all.</param>
    public static IEnumerable<QueryRecord> Read(string dataPath, IReadOnlyCollection<RecordColumn>? columns = null)
    {
        using var input = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new Apache.Arrow.Ipc.ArrowStreamReader(input);
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            List<QueryRecord> rows;
            using (batch) rows = Rows(batch, columns);
            foreach (var row in rows) yield return row;
        }
    }

    /// <summary>The rows of <paramref name="batch"/> as records, in order.</summary>
    /// <param name="columns">The columns to read (the others read as missing); null for all.</param>
    public static List<QueryRecord> Rows(RecordBatch batch, IReadOnlyCollection<RecordColumn>? columns = null)
    {
        var cells = new object?[batch.Length][];
        for (var i = 0; i < cells.Length; i++) cells[i] = new object?[RecordColumns.All.Count];
        foreach (var column in columns ?? RecordColumns.All)
        {
            var index = batch.Schema.GetFieldIndex(column.Name);
            if (index < 0) continue;
            var array = batch.Column(index);
            for (var i = 0; i < cells.Length; i++) cells[i][column.Ordinal] = Value(array, i);
        }
        return cells.Select(c => new QueryRecord(c)).ToList();
    }

    private static object? Value(IArrowArray array, int i) => array switch
    {
        _ when array.IsNull(i) => null,
        StringArray s => s.GetString(i),
        Int64Array l => l.GetValue(i),
        DoubleArray d => d.GetValue(i),
        BooleanArray b => b.GetValue(i),
        ListArray { Values: DoubleArray values } list => Enumerable.Range(list.ValueOffsets[i], list.GetValueLength(i))
            .Select(k => values.GetValue(k) ?? double.NaN).ToArray(),
        _ => null,
    };
}
