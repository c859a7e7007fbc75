using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Plugins;

namespace Ipw.Core.Telemetry;

/// <summary>How one metric read in the three phases of a load test, and whether it responded to the load.</summary>
/// <param name="Idle">The mean before the load (watts for energy and power, CPU-seconds per second for CPU time).</param>
/// <param name="Load">The mean while the load ran.</param>
/// <param name="After">The mean after it.</param>
/// <param name="ExtraJoulesPerGflop">For energy and power: the energy above idle per GFLOP of the load; null otherwise.</param>
public sealed record PhaseReading(SessionMetric Metric, double Idle, double Load, double After, bool Responds, double? ExtraJoulesPerGflop)
{
    /// <summary>The unit of <see cref="Idle"/>, <see cref="Load"/> and <see cref="After"/>.</summary>
    public string Unit => Metric.Info.Kind == MetricKind.CpuTime ? "cpu-s/s" : "W";
}

/// <summary>What a load test found.</summary>
public sealed record LoadResponse(ComputeLoadInfo Load, ComputeLoadResult Work, IReadOnlyList<PhaseReading> Readings, IReadOnlyList<BackendVerdict> Unavailable)
{
    /// <summary>The load's achieved rate in GFLOP/s.</summary>
    public double Gflops => Work.Elapsed.TotalSeconds > 0 ? Work.Operations * Load.FlopsPerOperation / Work.Elapsed.TotalSeconds / 1e9 : double.NaN;
}

/// <summary>
/// <c>ipw energy test --load NAME</c>: idle, then a compute load of known work, then idle again, each for one phase, with every
/// telemetry backend sampled throughout. A metric responds when its mean under load rises above both idle phases by a margin
/// (0.5 W or 5 %; 0.2 CPU-seconds per second), which tells a user before a long run that the backend sees the device doing
/// the work. Power, energy and CPU time are judged; the other metrics are shown in the ticks only.
/// </summary>
public sealed class LoadResponseTest(PluginRegistries registries)
{
    /// <summary>The backends to sample (null: every one used by default).</summary>
    public IReadOnlyList<string>? Backends { get; init; }

    /// <summary>What every backend is told (GPU selection, settings).</summary>
    public TelemetrySourceOptions Options { get; init; } = TelemetrySourceOptions.Default;

    public static readonly string[] Phases = ["idle", "load", "after"];

    public LoadResponse Run(IComputeLoad load, ComputeLoadInfo info, TimeSpan phase, TimeSpan interval,
        Action<string, TimeSpan, IReadOnlyList<MonitorReading>> onTick, CancellationToken cancellationToken)
    {
        var sources = TelemetrySources.Create(registries, Backends, Options);
        var sampleEvery = interval < TimeSpan.FromMilliseconds(50) ? interval : TimeSpan.FromMilliseconds(50);
        using var session = new TelemetrySession(sources, sampleEvery);
        var metrics = session.Metrics;
        var start = Stopwatch.GetTimestamp();
        var means = new double[Phases.Length][];
        var sinceStart = new double[metrics.Count];
        ComputeLoadResult? work = null;
        var loadSeconds = 0.0;

        for (var p = 0; p < Phases.Length; p++)
        {
            var phaseStart = session.OpenWindow();
            Task<ComputeLoadResult>? worker = null;
            if (Phases[p] == "load")
                worker = Task.Factory.StartNew(() => load.Run(phase, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            // The ticks' windows are opened separately from the phase's: windows are counted per start stamp, and closing the
            // first tick must not close the phase.
            var last = session.OpenWindow();
            // One reading per whole interval that fits in the phase (at least one, at its end), on absolute deadlines.
            var ticks = Math.Max(1, (int)Math.Floor(phase / interval + 1e-9));
            var every = ticks == 1 && phase < interval ? phase : interval;
            for (var k = 1; k <= ticks && !cancellationToken.IsCancellationRequested; k++)
            {
                var target = phaseStart + (long)(k * every.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), target);
                if (wait > TimeSpan.Zero && cancellationToken.WaitHandle.WaitOne(wait)) break;
                var (readings, _) = EnergyMonitor.Tick(session, ref last, sinceStart);
                onTick(Phases[p], Stopwatch.GetElapsedTime(start), readings);
            }
            var rest = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), phaseStart + (long)(phase.TotalSeconds * Stopwatch.Frequency));
            if (rest > TimeSpan.Zero) cancellationToken.WaitHandle.WaitOne(rest);
            if (worker is not null)
            {
                work = worker.GetAwaiter().GetResult();
                loadSeconds = work.Elapsed.TotalSeconds;
            }
            session.CloseWindow(last);
            var stats = session.CloseWindow(phaseStart);
            var span = stats.Duration.TotalSeconds;
            means[p] = new double[metrics.Count];
            for (var i = 0; i < metrics.Count; i++)
            {
                means[p][i] = metrics[i].Info.Kind switch
                {
                    MetricKind.Energy or MetricKind.CpuTime => span > 0 ? stats.Delta[i] / span : double.NaN,
                    MetricKind.Power => stats.Mean[i],
                    _ => double.NaN,
                };
            }
            if (cancellationToken.IsCancellationRequested) break;
        }
        cancellationToken.ThrowIfCancellationRequested();

        var done = work ?? new ComputeLoadResult(0, TimeSpan.Zero);
        var gflop = done.Operations * info.FlopsPerOperation / 1e9;
        var readingsOut = new List<PhaseReading>();
        for (var i = 0; i < metrics.Count; i++)
        {
            var kind = metrics[i].Info.Kind;
            if (kind is not (MetricKind.Energy or MetricKind.Power or MetricKind.CpuTime)) continue;
            var (idle, busy, after) = (means[0][i], means[1][i], means[2][i]);
            if (double.IsNaN(idle) || double.IsNaN(busy) || double.IsNaN(after))
            {
                readingsOut.Add(new PhaseReading(metrics[i], idle, busy, after, false, null));
                continue;
            }
            var baseline = Math.Max(idle, after);
            var margin = kind == MetricKind.CpuTime ? 0.2 : Math.Max(0.5, 0.05 * Math.Abs(baseline));
            var responds = busy - baseline > margin;
            double? perGflop = kind != MetricKind.CpuTime && gflop > 0 ? (busy - (idle + after) / 2) * loadSeconds / gflop : null;
            readingsOut.Add(new PhaseReading(metrics[i], idle, busy, after, responds, perGflop));
        }
        var unavailable = session.Reports.Where(r => !r.Available).Select(r => new BackendVerdict(r.Name, false, $"unavailable because {r.Reason}")).ToList();
        return new LoadResponse(info, done, readingsOut, unavailable);
    }
}
