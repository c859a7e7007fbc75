using Apache.Arrow;
using Parquet;
using Parquet.Schema;

namespace Ipw.Core.Export;

/// <summary>
/// Writes records as Parquet through Parquet.Net: one typed, nullable column per exported column (int64, double, boolean,
/// string, <c>started_at</c> as a UTC timestamp in microseconds, lists of double as LISTs), Snappy-compressed. The run's
/// batches are gathered into row groups of up to 65,536 rows (fewer when their text passes 64 MiB), so memory holds one
/// row group, never the run.
/// </summary>
internal static class ParquetExport
{
    private const int RowGroupRows = 65_536;
    private const long RowGroupBytes = 64L << 20;

    public static async Task<long> WriteAsync(Stream output, IReadOnlyList<ExportColumn> columns, IEnumerable<RecordBatch> batches,
        string dataPath, CancellationToken cancellationToken)
    {
        var buffers = columns.Select(c => ParquetColumn.For(c, dataPath)).ToArray();
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(buffers.Select(b => b.Field)), output,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        long rows = 0;
        var pending = 0;
        foreach (var batch in batches)
        {
            for (var c = 0; c < buffers.Length; c++) buffers[c].Add(batch.Column(columns[c].Index), batch.Length, rows);
            rows += batch.Length;
            pending += batch.Length;
            if (pending >= RowGroupRows || buffers.Sum(b => b.Bytes) >= RowGroupBytes)
            {
                await Flush(writer, buffers, cancellationToken).ConfigureAwait(false);
                pending = 0;
            }
        }
        if (pending > 0) await Flush(writer, buffers, cancellationToken).ConfigureAwait(false);
        return rows;
    }

    private static async Task Flush(ParquetWriter writer, ParquetColumn[] buffers, CancellationToken cancellationToken)
    {
        using var group = writer.CreateRowGroup();
        foreach (var buffer in buffers) await buffer.WriteAsync(group, cancellationToken).ConfigureAwait(false);
        group.CompleteValidate();
    }
}
