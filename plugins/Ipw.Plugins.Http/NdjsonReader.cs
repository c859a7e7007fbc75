using System.Buffers;
using System.IO.Pipelines;

namespace Ipw.Plugins.Http;

/// <summary>Splits a stream into lines with System.IO.Pipelines and hands each to a span callback, without
/// allocating per line (lines split across buffers are copied into one pooled array).</summary>
internal static class NdjsonReader
{
    public delegate void LineHandler(ReadOnlySpan<byte> line);

    public static async Task ReadAsync(Stream stream, LineHandler onLine, Func<bool> stop, CancellationToken ct)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = Drain(ref buffer, onLine);
                reader.AdvanceTo(consumed, buffer.End);
                if (stop()) return;
                if (result.IsCompleted)
                {
                    // A final line without a newline still counts.
                    if (!buffer.Slice(consumed).IsEmpty) Handle(buffer.Slice(consumed), onLine);
                    return;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static SequencePosition Drain(ref ReadOnlySequence<byte> buffer, LineHandler onLine)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            Handle(line, onLine);
        return reader.Position;
    }

    private static void Handle(ReadOnlySequence<byte> line, LineHandler onLine)
    {
        if (line.IsSingleSegment)
        {
            var span = line.FirstSpan.TrimEnd((byte)'\r');
            if (!span.IsEmpty) onLine(span);
            return;
        }
        var length = checked((int)line.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(rented);
            var span = rented.AsSpan(0, length).TrimEnd((byte)'\r');
            if (!span.IsEmpty) onLine(span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
