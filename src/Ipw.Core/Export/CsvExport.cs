using Apache.Arrow;
using Sylvan.Data.Csv;

namespace Ipw.Core.Export;

/// <summary>
/// Writes records as CSV through Sylvan.Data.Csv (the library ipw's CSV datasets are read with): a header row of the
/// column names, RFC 4180 quoting (a field holding a comma, a quote or a line break is quoted, quotes doubled), CRLF
/// between records. A missing value is an empty field and an empty text is <c>""</c>, so the two stay apart; numbers are
/// written invariantly and round-trip; a list is its JSON text.
/// </summary>
internal static class CsvExport
{
    public static async Task<long> WriteAsync(Stream output, IReadOnlyList<ExportColumn> columns, IEnumerable<RecordBatch> batches,
        CancellationToken cancellationToken)
    {
        await using var text = new StreamWriter(output, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
        var options = new CsvDataWriterOptions
        {
            NewLine = "\r\n",
            QuoteStrings = CsvStringQuoting.AlwaysQuoteEmpty,
            TrueString = "true", // as JSON writes them, and every CSV reader's boolean
            FalseString = "false",
            Culture = System.Globalization.CultureInfo.InvariantCulture,
            // A row is formatted whole in the writer's buffer, which grows to this (chars): a prompt of the built-in
            // workload is 15,000 characters, and a response or a reasoning text may be far longer.
            MaxBufferSize = 1 << 30,
        };
        await using var reader = new BatchDataReader(columns, batches);
        await using (var csv = CsvDataWriter.Create(text, options))
            await csv.WriteAsync(reader, cancellationToken).ConfigureAwait(false);
        await text.FlushAsync(cancellationToken).ConfigureAwait(false);
        return reader.Rows;
    }
}
