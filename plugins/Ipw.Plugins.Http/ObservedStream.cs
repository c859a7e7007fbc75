using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Ipw.Plugins.Http;

/// <summary>Stamps every read at its return (the receipt time of its bytes) and switches the timeout from
/// first-token to total once the first token has arrived.</summary>
internal sealed class FirstTokenWatch(StreamState state, CancellationTokenSource timeout, TimeSpan total, long sentAt, Action onFirst)
{
    private bool _seen;

    public void Received() => state.ReceivedAt = Stopwatch.GetTimestamp();

    public void Check()
    {
        if (_seen || state.FirstTokenAt == 0) return;
        _seen = true;
        onFirst();
        var left = total - Stopwatch.GetElapsedTime(sentAt);
        timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
    }
}

/// <summary>A read-through stream that lets the first-token watch look at the state after every read.</summary>
internal sealed class ObservedStream(Stream inner, FirstTokenWatch watch) : Stream
{
    public override int Read(byte[] buffer, int offset, int count)
    {
        watch.Check();
        var n = inner.Read(buffer, offset, count);
        watch.Received();
        return n;
    }

    // One read per chunk, most of them waiting for the network: pooled state machines instead of one allocation each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        watch.Check();
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        watch.Received();
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
