using Ipw.Core.Profiling;

namespace Ipw.Core.Load;

/// <summary>Keeps <paramref name="concurrency"/> queries in flight: each worker sends its next query when its last one ends
/// (one worker: sequential). Waits at the gate while sending is paused.</summary>
internal sealed class ClosedLoop(int concurrency, SendGate? gate) : ILoadStrategy
{
    public string Description => LoadText.Describe(concurrency > 1 ? "closed" : "sequential", concurrency, null, null);

    public Task RunAsync(ItemSource items, SendQuery send, long measureStart, CancellationToken sending)
    {
        var workers = new Task[concurrency];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (await PassAsync(sending).ConfigureAwait(false) && items.TryNext(out var index, out var item))
                    await send(index, item, null).ConfigureAwait(false);
            });
        }
        return Task.WhenAll(workers);
    }

    /// <summary>Passes at once unless sending is paused; then waits for the resume. False when sending stopped.</summary>
    private async Task<bool> PassAsync(CancellationToken sending)
    {
        if (gate is null) return true;
        try
        {
            await gate.WaitAsync(sending).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
