using Ipw.Core.Profiling;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Scoring;

namespace Ipw.Scripting;

/// <summary>
/// The pipeline's progress events, for scripts: every <see cref="ScriptGlobals.Profile(ProfileOptions, bool, JudgeSettings?)"/> reports
/// here, as the console progress and the TUI are reported to. Handlers run on the pipeline's thread: keep them quick.
/// </summary>
/// <example><code>Events.QueryCompleted += (record, progress) => Console.WriteLine($"{progress.Done}: {record.E2eLatencyS:F3} s");</code></example>
public sealed class ScriptEvents : IProfileObserver
{
    /// <summary>A run is about to send its workload: run folder, client, model, dataset, planned queries, energy source.</summary>
    public event Action<ProfileStarted>? Started;

    /// <summary>A step that is not a query: warm-up, idle baseline, the load mode.</summary>
    public event Action<string>? Phase;

    /// <summary>A query's record was written: the record (latency, tokens, energy, grade) and the running totals.</summary>
    public event Action<QueryRecord, ProfileProgress>? QueryCompleted;

    /// <summary>A run ended: status, counts, where it was saved.</summary>
    public event Action<ProfileOutcome>? Finished;

    void IProfileObserver.OnStarted(ProfileStarted started) => Started?.Invoke(started);

    void IProfileObserver.OnPhase(string description) => Phase?.Invoke(description);

    void IProfileObserver.OnWarmup(int done, int total) => Phase?.Invoke($"warm-up {done}/{total}");

    void IProfileObserver.OnQueryCompleted(QueryRecord record, ProfileProgress progress) => QueryCompleted?.Invoke(record, progress);

    void IProfileObserver.OnFinished(ProfileOutcome outcome) => Finished?.Invoke(outcome);
}
