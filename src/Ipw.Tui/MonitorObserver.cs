using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;
using Ipw.Core.Measurement;
using Ipw.Core.Profiling;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Telemetry;

namespace Ipw.Tui;

/// <summary>
/// Feeds the monitor from the profile pipeline's events, the same events the console progress receives. Each
/// handler copies a few fields under the model's lock and returns: the pipeline's thread never waits for drawing.
/// </summary>
public sealed class MonitorObserver(MonitorModel model) : IProfileObserver
{
    private long _progressAt = Stopwatch.GetTimestamp();
    private TimeSpan _progressElapsed;
    private MonitorMetric[] _metrics = [];
    private bool _measuring, _sending;

    /// <summary>The run's live telemetry, once it started.</summary>
    public LiveTelemetry? Live { get; private set; }

    public void OnStarted(ProfileStarted s)
    {
        var load = s.Rate switch
        {
            double.PositiveInfinity => "open loop, all at once",
            { } rate => $"open loop {rate.ToString(CultureInfo.InvariantCulture)}/s",
            _ => s.Concurrency is > 1 ? $"{s.Concurrency} in flight" : "sequential",
        };
        model.Start(s.Client, s.Model, s.Dataset, s.Hardware, s.RunPath, s.Total, load, s.EnergyStatus, Verdicts(s.Telemetry));
        model.SetClock(() => _progressElapsed + Stopwatch.GetElapsedTime(Interlocked.Read(ref _progressAt)));
        if (s.Live is { } live)
        {
            _metrics = live.Metrics.Select(m => new MonitorMetric(m.Info.Name, m.Info.Device, m.Info.Kind, m.Info.Unit) { Clock = CounterClock.Of(m.Info) }).ToArray();
            Live = live;
        }
    }

    public void OnWarmup(int done, int total) => model.SetPhase($"warm-up {done}/{total}");

    public void OnMeasuring()
    {
        // Elapsed time and the ETA count from here, as the pipeline's progress does.
        _progressElapsed = TimeSpan.Zero;
        Interlocked.Exchange(ref _progressAt, Stopwatch.GetTimestamp());
        _measuring = true;
    }

    public void OnPhase(string description)
    {
        // The first phase once measuring is the load mode: the run is sending.
        if (_measuring && !_sending)
        {
            _sending = true;
            description = "sending: " + description;
        }
        model.SetPhase(description);
    }

    public void OnQueryCompleted(QueryRecord record, ProfileProgress progress)
    {
        _progressElapsed = progress.Elapsed;
        Interlocked.Exchange(ref _progressAt, Stopwatch.GetTimestamp());
        model.Add(MonitorRow.From(record));
        if (record.Get(RecordColumns.StepKinds) is not null) model.Steps.Completed(record.QueryIndex, record.Status, double.IsNaN(record.E2eLatencyS) ? null : record.E2eLatencyS);
    }

    public void OnAgentStep(AgentStepEvent step) => model.Steps.Step(step);

    public void OnFinished(ProfileOutcome outcome)
    {
        PollTelemetry();
        model.SetClock(() => outcome.Elapsed);
        model.Finish(outcome.Status, outcome.RunPath);
    }

    /// <summary>Copies the latest telemetry sample into the charts (the UI calls this about once a second).</summary>
    public void PollTelemetry()
    {
        if (Live is not { } live) return;
        model.AddTelemetry(live.Now, _metrics, live.Latest());
    }

    /// <summary>A line per telemetry source: what it reads here, or why it cannot.</summary>
    public static IReadOnlyList<(string, string)> Verdicts(IReadOnlyList<SourceReport> reports) =>
        reports.Select(r => (r.Name, SourceVerdict.Describe(r.Available, r.Reason, r.Metrics.Select(m => Kind(m.Kind)), r.Method,
            r.Missing.Select(m => Kind(m.Kind))))).ToList();

    private static string Kind(MetricKind kind) => kind.ToString().ToLowerInvariant();
}
