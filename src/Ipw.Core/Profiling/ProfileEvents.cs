using Ipw.Core.Records;
using Ipw.Core.Runs;

namespace Ipw.Core.Profiling;

/// <summary>Running totals, as observers see them after each query.</summary>
public sealed record ProfileProgress(int Done, int? Total, int Errors, long OutputTokens, TimeSpan Elapsed)
{
    /// <summary>Generated tokens per second of wall time so far.</summary>
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? OutputTokens / Elapsed.TotalSeconds : 0;

    /// <summary>Estimated time left, when the total is known.</summary>
    public TimeSpan? Eta => Total is { } t && Done > 0 ? Elapsed / Done * (t - Done) : null;
}

/// <summary>What the run is about to do.</summary>
public sealed record ProfileStarted(string RunPath, string Client, string Model, string Dataset, int? Total, string Hardware,
    IReadOnlyList<Telemetry.SourceReport> Telemetry, string EnergyStatus)
{
    /// <summary>The run's telemetry as it is sampled, for live views; null when not connected to a session.</summary>
    public LiveTelemetry? Live { get; init; }

    /// <summary>Closed loop: requests in flight (1: sequential); null for an open loop.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Open loop: requests per second; null for a closed loop.</summary>
    public double? Rate { get; init; }

    /// <summary>Where the client sends its requests and where that address came from, when it says.</summary>
    public string? ClientAddress { get; init; }
}

/// <summary>
/// A read-only view of a run's telemetry for live displays: the metrics and their latest sampled values. Reading
/// copies the last sample under the session's lock and never triggers a read of the hardware, so polling it (say
/// once a second) does not disturb the measurement.
/// </summary>
public sealed class LiveTelemetry
{
    private readonly Telemetry.TelemetrySession _session;
    private readonly long _runStart;

    internal LiveTelemetry(Telemetry.TelemetrySession session, long runStart)
    {
        _session = session;
        _runStart = runStart;
    }

    /// <summary>The metrics, in the order of the values <see cref="Latest"/> returns.</summary>
    public IReadOnlyList<Telemetry.SessionMetric> Metrics => _session.Metrics;

    /// <summary>Seconds since the run started (the clock of the records' <c>completed_at_s</c> and telemetry.arrow's <c>t_s</c>).</summary>
    public double Now => System.Diagnostics.Stopwatch.GetElapsedTime(_runStart).TotalSeconds;

    /// <summary>The most recent sample's values: NaN where a read failed or nothing was sampled yet.</summary>
    public double[] Latest() => _session.Latest();
}

/// <summary>How a run ended.</summary>
public sealed record ProfileOutcome(string RunPath, string Status, int Queries, int Errors, long OutputTokens, TimeSpan Elapsed)
{
    /// <summary>The model's label, as the client reported it.</summary>
    public string? Model { get; init; }

    /// <summary>Why the run stopped early or failed, in words (summary.json's <c>failure</c>); null when it did not.</summary>
    public string? Failure { get; init; }
}

/// <summary>Receives the pipeline's progress events (console progress, TUI, scripts). Called on the
/// pipeline's thread: keep handlers quick.</summary>
/// <summary>One step of an agent's task (<c>--agent</c>), as it starts (<paramref name="DurationS"/> null) and as it
/// ends: the task's query index and item, the step's number in its task (from 1), its kind (<c>model</c> or
/// <c>tool:NAME</c>), and when it started, on the monotonic clock (<see cref="System.Diagnostics.Stopwatch"/>
/// timestamps). Raised on the thread that runs the task: a handler copies what it needs and returns.</summary>
public sealed record AgentStepEvent(int QueryIndex, string ItemId, int Step, string Kind, long StartedAt, double? DurationS);

public interface IProfileObserver
{
    void OnStarted(ProfileStarted started) { }
    void OnWarmup(int done, int total) { }
    /// <summary>A step of the run that is not a query: idle baseline, load mode, waiting for the energy counters.</summary>
    void OnPhase(string description) { }
    /// <summary>Measuring starts now (after warm-up and the idle baseline): the clock of <see cref="ProfileProgress.Elapsed"/>.</summary>
    void OnMeasuring() { }
    void OnQueryCompleted(QueryRecord record, ProfileProgress progress) { }
    /// <summary>An agent's step started or ended (<see cref="AgentStepEvent"/>); off the pipeline's thread.</summary>
    void OnAgentStep(AgentStepEvent step) { }
    void OnFinished(ProfileOutcome outcome) { }
}

/// <summary>Fans events out to several observers.</summary>
public sealed class CompositeObserver(IEnumerable<IProfileObserver> observers) : IProfileObserver
{
    private readonly IProfileObserver[] _observers = observers.ToArray();
    public void OnStarted(ProfileStarted started) { foreach (var o in _observers) o.OnStarted(started); }
    public void OnWarmup(int done, int total) { foreach (var o in _observers) o.OnWarmup(done, total); }
    public void OnPhase(string description) { foreach (var o in _observers) o.OnPhase(description); }
    public void OnMeasuring() { foreach (var o in _observers) o.OnMeasuring(); }
    public void OnQueryCompleted(QueryRecord record, ProfileProgress progress) { foreach (var o in _observers) o.OnQueryCompleted(record, progress); }
    public void OnAgentStep(AgentStepEvent step) { foreach (var o in _observers) o.OnAgentStep(step); }
    public void OnFinished(ProfileOutcome outcome) { foreach (var o in _observers) o.OnFinished(outcome); }
}
