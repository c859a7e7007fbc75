using System.Diagnostics;
using Ipw.Core.Profiling;

namespace Ipw.Core.Load;

/// <summary>
/// Sends on an arrival schedule whatever the service does, from its own thread: waits for each send time and starts the
/// query there, so a slow send never delays the next one. Time spent paused shifts the schedule. With worker processes
/// it hands each query over <paramref name="lead"/> before it is due, and the worker's own timer sends it.
/// </summary>
internal sealed class OpenLoop(ProfileOptions options, int? planned, SendGate? gate, TimeSpan lead = default) : ILoadStrategy
{
    private long _maxDispatchBlock;

    public string Description => LoadText.Describe("open", null, options.Rate, options.ArrivalName, options.Burstiness);

    /// <summary>The longest a client's SendAsync held the scheduler before its first wait.</summary>
    public TimeSpan MaxDispatchBlock => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _maxDispatchBlock));

    public Task RunAsync(ItemSource items, SendQuery send, long measureStart, CancellationToken sending) =>
        Task.Factory.StartNew(() => Run(items, send, measureStart, sending), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(ItemSource items, SendQuery send, long measureStart, CancellationToken sending)
    {
        var schedule = new ArrivalSchedule(options.Arrival, options.Rate!.Value, planned, options.Seed, options.Burstiness);
        var step = (double)Stopwatch.Frequency;
        // Handed over early by the lead, so due again by it.
        measureStart -= (long)(lead.TotalSeconds * step);
        while (schedule.Next() is { } offset)
        {
            if (WaitForSlot(measureStart + (long)(offset * step), sending) is not { } due) break;
            due += (long)(lead.TotalSeconds * step);
            if (!items.TryNext(out var index, out var item)) break;
            // Sent from this thread, which woke on time: a hand-off to the thread pool would queue behind the stream
            // continuations of every request in flight. SendAsync returns at its first wait (clients keep CPU-bound work
            // off the caller's thread); how long it held the scheduler is recorded.
            var before = Stopwatch.GetTimestamp();
            _ = send(index, item, due);
            var held = Stopwatch.GetTimestamp() - before;
            if (held > _maxDispatchBlock) Interlocked.Exchange(ref _maxDispatchBlock, held);
        }
    }

    /// <summary>Waits for a send time, shifted by the time spent paused (a pause that begins during the wait shifts it
    /// again). Null when sending stopped.</summary>
    private long? WaitForSlot(long planned, CancellationToken sending)
    {
        while (true)
        {
            if (gate is not null && !gate.Wait(sending)) return null;
            var due = planned + (gate?.PausedTicks ?? 0);
            if (!WaitUntil(due, sending)) return null;
            if (gate is null || !gate.IsPaused) return due;
        }
    }

    /// <summary>Sleeps until <paramref name="due"/> (spinning only its last 100 µs, so it costs little CPU); false when
    /// sending stopped meanwhile.</summary>
    private static bool WaitUntil(long due, CancellationToken sending)
    {
        var handle = sending.WaitHandle;
        while (true)
        {
            if (sending.IsCancellationRequested) return false;
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (remaining <= TimeSpan.Zero) return true;
            if (remaining >= TimeSpan.FromMilliseconds(2)) handle.WaitOne(remaining - TimeSpan.FromMilliseconds(1));
            else if (remaining > TimeSpan.FromMicroseconds(100)) Thread.Sleep(1);
            else Thread.SpinWait(20);
        }
    }
}
