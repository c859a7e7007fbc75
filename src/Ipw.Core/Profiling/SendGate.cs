using System.Diagnostics;

namespace Ipw.Core.Profiling;

/// <summary>
/// Pauses and resumes sending (the TUI's <c>p</c>, or a script). While paused no new query is sent; queries in
/// flight complete and are recorded as usual. An open-loop schedule is shifted by the time spent paused, so the
/// queries after a pause keep their spacing instead of being sent in a burst; a <c>--duration</c> does not count
/// paused time. Thread-safe.
/// </summary>
public sealed class SendGate
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _open = Opened();
    private long _pausedSince;
    private long _pausedTicks;

    /// <summary>Whether sending is paused now.</summary>
    public bool IsPaused
    {
        get { lock (_lock) return _pausedSince != 0; }
    }

    /// <summary>How many times sending was paused.</summary>
    public int Pauses { get; private set; }

    /// <summary>Total time spent paused so far, including a pause still in progress.</summary>
    public TimeSpan Paused => TimeSpan.FromSeconds((double)PausedTicks / Stopwatch.Frequency);

    /// <summary>Total time paused so far in <see cref="Stopwatch"/> ticks, including a pause still in progress.</summary>
    public long PausedTicks
    {
        get
        {
            lock (_lock) return _pausedTicks + (_pausedSince != 0 ? Stopwatch.GetTimestamp() - _pausedSince : 0);
        }
    }

    /// <summary>Stops sending new queries until <see cref="Resume"/>; false when already paused.</summary>
    public bool Pause()
    {
        lock (_lock)
        {
            if (_pausedSince != 0) return false;
            _pausedSince = Stopwatch.GetTimestamp();
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Pauses++;
            return true;
        }
    }

    /// <summary>Sends again; false when not paused.</summary>
    public bool Resume()
    {
        TaskCompletionSource open;
        lock (_lock)
        {
            if (_pausedSince == 0) return false;
            _pausedTicks += Stopwatch.GetTimestamp() - _pausedSince;
            _pausedSince = 0;
            open = _open;
        }
        open.TrySetResult();
        return true;
    }

    /// <summary>Pauses when sending, resumes when paused; returns whether it is paused now.</summary>
    public bool Toggle()
    {
        lock (_lock)
        {
            if (_pausedSince == 0)
            {
                Pause();
                return true;
            }
        }
        Resume();
        return false;
    }

    /// <summary>Completes at once when sending, or when resumed (or cancelled).</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        Task open;
        lock (_lock) open = _open.Task;
        return open.IsCompleted ? Task.CompletedTask : open.WaitAsync(cancellationToken);
    }

    /// <summary>Blocks the calling thread while paused; false when cancelled meanwhile.</summary>
    public bool Wait(CancellationToken cancellationToken)
    {
        try
        {
            WaitAsync(cancellationToken).Wait(cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
