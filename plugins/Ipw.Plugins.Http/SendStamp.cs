using System.Diagnostics;

namespace Ipw.Plugins.Http;

/// <summary>
/// When a request's first byte was handed to its connection's socket: the moment a query is sent, as near the wire as a
/// process can see it. Stamped by <see cref="StampingStream"/>, the stream every connection is, for the request whose
/// send is under way in the current async flow (<see cref="Current"/>). What came before that write (taking a pooled
/// connection, opening one, the handler's own work) is the client's, not the server's: it is kept out of the query's
/// latencies and in <c>client_queue_s</c>.
/// </summary>
internal sealed class SendStamp
{
    /// <summary>The send under way in this async flow, set by the client around <c>HttpClient.SendAsync</c>.</summary>
    public static readonly AsyncLocal<SendStamp?> Current = new();

    /// <summary>Monotonic timestamp of the first write, 0 until it happens.</summary>
    public long At { get; private set; }

    public void Mark()
    {
        if (At == 0) At = Stopwatch.GetTimestamp();
    }
}

/// <summary>A connection's network stream that stamps the first write of the send under way (<see cref="SendStamp"/>).</summary>
internal sealed class StampingStream(Stream inner) : Stream
{
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        SendStamp.Current.Value?.Mark();
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        SendStamp.Current.Value?.Mark();
        inner.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        SendStamp.Current.Value?.Mark();
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
