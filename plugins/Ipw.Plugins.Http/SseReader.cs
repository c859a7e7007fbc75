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
    private ArrayBufferWriter<byte>? _data, _line;
    private byte[] _type = [];
    private bool _hasData, _skipLf;

    // An event's only data line so far, still in the buffer being fed: dispatched from there without a copy when the
    // event ends in the same buffer (the usual case), copied into _data when another line follows or the buffer ends.
    private ReadOnlyMemory<byte> _borrowed;
    private bool _isBorrowed;

    /// <summary>Reads until the stream ends or <paramref name="stop"/> says so after an event. Each wait for the network
    /// is a zero-byte read, so a stream holds no buffer while it waits (a thousand streams in flight held 16 MiB between
    /// them, and some rents missed the shared pool), and the HTTP stack waits without boxing a buffer-filling state
    /// machine; the bytes that came are then read at once into one pooled buffer and fed as they are (a partial line
    /// waits in the reader). Open loop at 500/s with ~1,000 streams: 32.5 to 26.9 KiB allocated a query. A PipeReader over the stream
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

    /// <summary>Consumes every byte of <paramref name="buffer"/>; a partial line or event is kept for the next call.</summary>
    internal bool Feed(ReadOnlySequence<byte> buffer, EventHandler onEvent, Func<bool> stop)
    {
        foreach (var segment in buffer)
        {
            var done = Feed(segment, onEvent, stop);
            KeepBorrowed();
            if (done) return true;
        }
        return false;
    }

    private bool Feed(ReadOnlyMemory<byte> segment, EventHandler onEvent, Func<bool> stop)
    {
        var span = segment.Span;
        var at = 0;
        while (at < span.Length)
        {
            if (_skipLf)
            {
                _skipLf = false;
                if (span[at] == (byte)'\n')
                {
                    at++;
                    continue;
                }
            }
            var end = span[at..].IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                (_line ??= new(256)).Write(span[at..]);
                break;
            }
            _skipLf = span[at + end] == (byte)'\r';
            bool dispatched;
            if (_line is not { WrittenCount: > 0 }) dispatched = Line(span.Slice(at, end), segment.Slice(at, end), onEvent);
            else
            {
                _line.Write(span.Slice(at, end));
                dispatched = Line(_line.WrittenSpan, default, onEvent);
                _line.Clear();
            }
            at += end + 1;
            if (dispatched && stop()) return true;
        }
        return false;
    }

    /// <summary>The body ended: an event whose lines were whole but whose blank line never came still counts (a
    /// server that closes right after its last <c>data:</c> line has said what it said); a line cut off mid-way does
    /// not (the stream was cut).</summary>
    internal void End(EventHandler onEvent)
    {
        _line?.Clear();
        Line([], default, onEvent);
    }

    /// <summary>Handles one line; true when it ended an event that was dispatched. <paramref name="inBuffer"/> is the
    /// line where it lies in the buffer being fed, or empty when it was put together from several reads.</summary>
    private bool Line(ReadOnlySpan<byte> line, ReadOnlyMemory<byte> inBuffer, EventHandler onEvent)
    {
        if (line.IsEmpty)
        {
            if (!_hasData)
            {
                _type = [];
                return false;
            }
            onEvent(_type, _isBorrowed ? _borrowed.Span : _data!.WrittenSpan);
            _data?.Clear();
            _borrowed = default;
            _isBorrowed = _hasData = false;
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
            if (!_hasData && !inBuffer.IsEmpty)
            {
                _borrowed = inBuffer[(line.Length - value.Length)..];
                _isBorrowed = true;
            }
            else
            {
                KeepBorrowed();
                var data = _data ??= new(1024);
                if (_hasData) data.Write("\n"u8);
                data.Write(value);
            }
            _hasData = true;
            if (field[0] == (byte)'e') _type = ErrorType;
        }
        else if (field.SequenceEqual("event"u8)) _type = value.ToArray();
        return false;
    }

    /// <summary>Copies a borrowed data line into the reader's own buffer before the buffer it lies in goes away.</summary>
    private void KeepBorrowed()
    {
        if (!_isBorrowed) return;
        (_data ??= new(1024)).Write(_borrowed.Span);
        _borrowed = default;
        _isBorrowed = false;
    }
}
