using Ipw.Core.Profiling;

namespace Ipw.Core.Load;

/// <summary>
/// When sending stops early: a cancelled query (Ctrl-C) interrupts the run; <c>--max-errors</c> and
/// <c>--max-error-rate</c> (judged after 10 queries) abort it. Without either, a default budget does: more than half of at
/// least 10 queries failed (a dead server, a wrong model name) stops the run instead of running through the dataset;
/// <c>--max-errors 100%</c> turns it off. Acts as each query completes, before its record waits for
/// the energy counters, so no query is sent after a limit is reached. Thread-safe.
/// </summary>
internal sealed class StopPolicy(ProfileOptions options, CancellationTokenSource sending)
{
    /// <summary>The share of failed queries that stops a run when the user set no limit.</summary>
    public const double DefaultErrorRate = 0.5;

    private readonly Lock _lock = new();
    private readonly bool _defaultBudget = options.MaxErrors is null && options.MaxErrorRate is null;
    private int _completed, _errors;

    /// <summary>"completed", "interrupted" or "aborted".</summary>
    public string Status { get; private set; } = "completed";

    /// <summary>Why the run was aborted, in words.</summary>
    public string? Failure { get; private set; }

    /// <summary>Counts one completed query by its status ("ok" or the error class).</summary>
    public void Completed(string status)
    {
        lock (_lock)
        {
            _completed++;
            if (status != "ok") _errors++;
            if (status == "cancelled")
            {
                Status = "interrupted";
                sending.Cancel();
            }
            else if (Status == "completed" && TooManyErrors())
            {
                Status = "aborted";
                Failure = _defaultBudget
                    ? $"stopped by the default error budget: {_errors} of {_completed} queries failed (more than {DefaultErrorRate:P0}; --max-errors sets another limit, 100% none)"
                    : $"stopped by --max-errors after {_errors} failed of {_completed} queries";
                sending.Cancel();
            }
        }
    }

    /// <summary>The server the run launched has exited: the run ends (nothing more is sent), and this is why, also when
    /// the queries that failed as it went down had already spent the error budget.</summary>
    public void ServerExited(string failure)
    {
        lock (_lock)
        {
            if (Status == "interrupted") return;
            Status = "aborted";
            Failure = failure;
            sending.Cancel();
        }
    }

    private bool TooManyErrors() =>
        (options.MaxErrors is { } max && _errors >= max)
        || ((_defaultBudget ? DefaultErrorRate : options.MaxErrorRate) is { } rate && _completed >= 10 && _errors > rate * _completed);
}
