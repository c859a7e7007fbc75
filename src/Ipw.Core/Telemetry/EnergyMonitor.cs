using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Plugins;

namespace Ipw.Core.Telemetry;

/// <summary>One metric's reading at a tick of the self-test.</summary>
/// <param name="Value">The latest value (NaN when this read failed).</param>
/// <param name="SinceStart">For counters: the change since the test began.</param>
/// <param name="Rate">For counters: the change per second over the last tick (watts, for energy).</param>
public readonly record struct MonitorReading(SessionMetric Metric, double Value, double SinceStart, double Rate);

/// <summary>A backend's verdict: works, or unavailable because of what.</summary>
public sealed record BackendVerdict(string Name, bool Works, string Verdict);

/// <summary>
/// The energy-monitor self-test: samples every registered telemetry backend for a while and says,
/// for each, what it reads and whether it works here. The same pipeline code as a profile run:
/// the registry's sources in a <see cref="TelemetrySession"/>.
/// </summary>
public sealed class EnergyMonitor(PluginRegistries registries)
{
    /// <summary>The backends to test (null: every one used by default; a backend used only when named must be named).</summary>
    public IReadOnlyList<string>? Backends { get; init; }

    /// <summary>What every backend is told (GPU selection, settings).</summary>
    public TelemetrySourceOptions Options { get; init; } = TelemetrySourceOptions.Default;

    public IReadOnlyList<BackendVerdict> Run(TimeSpan interval, TimeSpan duration, Action<TimeSpan, IReadOnlyList<MonitorReading>> onTick,
        CancellationToken cancellationToken)
    {
        var sources = TelemetrySources.Create(registries, Backends, Options);
        var sampleEvery = interval < TimeSpan.FromMilliseconds(50) ? interval : TimeSpan.FromMilliseconds(50);
        using var session = new TelemetrySession(sources, sampleEvery);
        var metrics = session.Metrics;
        var sinceStart = new double[metrics.Count];
        var readOk = new bool[metrics.Count];
        var moved = new bool[metrics.Count];
        var start = Stopwatch.GetTimestamp();
        var last = session.OpenWindow();

        // One reading per whole interval that fits in the duration (at least one).
        var ticks = Math.Max(1, (int)Math.Floor(duration / interval + 1e-9));
        for (var tick = 0; tick < ticks && !cancellationToken.IsCancellationRequested; tick++)
        {
            if (cancellationToken.WaitHandle.WaitOne(interval)) break;
            var (readings, deltas) = Tick(session, ref last, sinceStart);
            for (var i = 0; i < metrics.Count; i++)
            {
                if (!double.IsNaN(readings[i].Value)) readOk[i] = true;
                if (deltas[i] is not (0 or double.NaN)) moved[i] = true;
            }
            onTick(Stopwatch.GetElapsedTime(start), readings);
        }
        session.CloseWindow(last);

        var verdicts = new List<BackendVerdict>();
        foreach (var report in session.Reports)
        {
            if (!report.Available)
            {
                verdicts.Add(new BackendVerdict(report.Name, false, $"unavailable because {report.Reason}"));
                continue;
            }
            var own = metrics.Where(m => m.Source == report.Name).ToList();
            var read = own.Count(m => readOk[m.Index]);
            var kinds = string.Join(", ", own.Select(m => m.Info.Kind.ToString().ToLowerInvariant()).Distinct());
            var still = own.Where(m => m.Info.Kind == MetricKind.Energy && readOk[m.Index] && !moved[m.Index]).Select(m => m.Info.Name).ToList();
            var verdict = read == 0
                ? $"unavailable because none of its {own.Count} metrics could be read during the test"
                : $"works: {read} of {own.Count} metrics read ({kinds}; {report.Method})" +
                  (still.Count > 0 ? $"; warning: {string.Join(", ", still)} did not change during the test" : "") +
                  (report.Missing.Count > 0 ? $"; lacks {string.Join("; ", report.Missing.Select(m => $"{m.Kind.ToString().ToLowerInvariant()}: {m.Reason}"))}" : "");
            verdicts.Add(new BackendVerdict(report.Name, read > 0, verdict));
        }
        return verdicts;
    }

    /// <summary>One tick of a live reading: closes the window since <paramref name="last"/> and opens the next, so each tick's
    /// counters are deltas over exactly the time since the previous one. Adds counter deltas to <paramref name="sinceStart"/>.</summary>
    internal static (MonitorReading[] Readings, double[] Deltas) Tick(TelemetrySession session, ref long last, double[] sinceStart)
    {
        var metrics = session.Metrics;
        var now = session.OpenWindow();
        var stats = session.CloseWindow(last, now);
        var values = session.Latest();
        var seconds = Stopwatch.GetElapsedTime(last, now).TotalSeconds;
        var readings = new MonitorReading[metrics.Count];
        for (var i = 0; i < metrics.Count; i++)
        {
            var cumulative = metrics[i].Info.Kind is MetricKind.Energy or MetricKind.CpuTime;
            var delta = stats.Delta[i];
            if (cumulative && !double.IsNaN(delta)) sinceStart[i] += delta;
            readings[i] = new MonitorReading(metrics[i], values[i], cumulative ? sinceStart[i] : double.NaN,
                cumulative && seconds > 0 ? delta / seconds : double.NaN);
        }
        last = now;
        return (readings, stats.Delta);
    }
}
