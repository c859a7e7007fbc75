using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Apache.Arrow;

namespace Ipw.Core.Export;

/// <summary>Writes records as JSON Lines: one object per record, its columns in order, a missing value as null and a list
/// as an array. Rows go through one <see cref="Utf8JsonWriter"/> into a buffer that reaches the stream every 64 KiB.</summary>
internal static class JsonlExport
{
    private const int FlushBytes = 1 << 16;

    public static async Task<long> WriteAsync(Stream output, IReadOnlyList<ExportColumn> columns, IEnumerable<RecordBatch> batches,
        CancellationToken cancellationToken)
    {
        // Text as it is (a file, not a web page): quotes, backslashes and control characters are escaped, other characters not.
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var names = columns.Select(c => JsonEncodedText.Encode(c.Name, options.Encoder)).ToArray();
        var buffer = new ArrayBufferWriter<byte>(2 * FlushBytes);
        using var json = new Utf8JsonWriter(buffer, options);
        var arrays = new IArrowArray[columns.Count];
        long rows = 0;
        foreach (var batch in batches)
        {
            for (var c = 0; c < arrays.Length; c++) arrays[c] = batch.Column(columns[c].Index);
            for (var i = 0; i < batch.Length; i++)
            {
                json.WriteStartObject();
                for (var c = 0; c < arrays.Length; c++)
                {
                    json.WritePropertyName(names[c]);
                    columns[c].WriteJson(json, arrays[c], i);
                }
                json.WriteEndObject();
                json.Flush();
                json.Reset(); // the next line is a new JSON document
                buffer.Write("\n"u8);
                if (buffer.WrittenCount < FlushBytes) continue;
                await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
            rows += batch.Length;
        }
        await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }
}
