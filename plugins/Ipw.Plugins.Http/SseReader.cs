using System.Buffers;

namespace Ipw.Plugins.Http;

/// <summary>
/// Reads a server-sent event stream from bytes, dispatching each event's type and data as a span. Written here
/// rather than with System.Net.ServerSentEvents for two behaviours real servers need: a bare CR ends a line at
/// once (the library waits for the next byte to see whether an LF follows, which holds an event back until more
/// data arrives), and llama.cpp's old <c>error: {...}</c> field, which the library drops as unknown, is kept as
/// an event of type <c>error</c>.
/// </summary>
internal sealed class SseReader
{
    public delegate void EventHandler(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data);

    private static readonly byte[] ErrorType = "error"u8.ToArray();
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private byte[] _type = [];
    private bool _hasData, _skipLf;

    /// <summary>Reads until the stream ends or <paramref name="stop"/> says so after an event. Each wait for the network
    /// is a zero-byte read, so a stream holds no buffer while it waits (a thousand streams in flight each held 16 KiB,
    /// more than the shared pool keeps, so most reads rented a new array); the bytes that came are then read at once
    /// into one pooled buffer and fed as they are (a partial line waits in the reader). A PipeReader over the stream
    /// cost more than the parsing, its token source taken under a lock on every read (a CPU profile at c=64 put 20 %
    /// of the process in that lock's slow path).</summary>
    public static async Task ReadAsync(Stream stream, EventHandler onEvent, Func<bool> stop, CancellationToken ct)
    {
        var sse = new SseReader();
        while (true)
        {
            await stream.ReadAsync(Memory<byte>.Empty, ct).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                var read = await stream.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    sse.End(onEvent);
                    return;
                }
                if (sse.Feed(new ReadOnlySequence<byte>(buffer, 0, read), onEvent, stop)) return;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Consumes every byte of <paramref name="buffer"/>; a partial line is kept for the next call.</summary>
    internal bool Feed(ReadOnlySequence<byte> buffer, EventHandler onEvent, Func<bool> stop)
    {
        foreach (var segment in buffer)
        {
            var span = segment.Span;
            while (!span.IsEmpty)
            {
                if (_skipLf)
                {
                    _skipLf = false;
                    if (span[0] == (byte)'\n')
                    {
                        span = span[1..];
                        continue;
                    }
                }
                var end = span.IndexOfAny((byte)'\r', (byte)'\n');
                if (end < 0)
                {
                    _line.Write(span);
                    break;
                }
                _skipLf = span[end] == (byte)'\r';
                ReadOnlySpan<byte> line;
                if (_line.WrittenCount == 0) line = span[..end];
                else
                {
                    _line.Write(span[..end]);
                    line = _line.WrittenSpan;
                }
                var dispatched = Line(line, onEvent);
                _line.Clear();
                span = span[(end + 1)..];
                if (dispatched && stop()) return true;
            }
        }
        return false;
    }

    /// <summary>The body ended: an event whose lines were whole but whose blank line never came still counts (a
    /// server that closes right after its last <c>data:</c> line has said what it said); a line cut off mid-way does
    /// not (the stream was cut).</summary>
    internal void End(EventHandler onEvent)
    {
        _line.Clear();
        Line([], onEvent);
    }

    /// <summary>Handles one line; true when it ended an event that was dispatched.</summary>
    private bool Line(ReadOnlySpan<byte> line, EventHandler onEvent)
    {
        if (line.IsEmpty)
        {
            if (!_hasData)
            {
                _type = [];
                return false;
            }
            onEvent(_type, _data.WrittenSpan);
            _data.Clear();
            _hasData = false;
            _type = [];
            return true;
        }
        if (line[0] == (byte)':') return false; // a comment (keep-alive)
        var colon = line.IndexOf((byte)':');
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? [] : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ') value = value[1..];
        if (field.SequenceEqual("data"u8) || field.SequenceEqual("error"u8))
        {
            if (_hasData) _data.Write("\n"u8);
            _data.Write(value);
            _hasData = true;
            if (field[0] == (byte)'e') _type = ErrorType;
        }
        else if (field.SequenceEqual("event"u8)) _type = value.ToArray();
        return false;
    }
}
