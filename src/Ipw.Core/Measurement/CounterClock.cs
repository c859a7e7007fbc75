using Ipw.Abstractions;

namespace Ipw.Core.Measurement;

/// <summary>
/// How a cumulative counter publishes its value: current whenever it is read (RAPL, CPU time), in steps at a known
/// period (NVML about every 20–100 ms, a Prometheus series at its scrape interval), or in steps whose period is
/// unknown (a board idle while probed, a counter slower than the probe's bound). An unknown period is taken as the
/// slowest plausible one wherever a window's quality is judged, so nothing is called exact that may rest on a
/// single step.
/// </summary>
public readonly record struct CounterClock(TimeSpan? Period, bool Stepped)
{
    /// <summary>Current at read time.</summary>
    public static readonly CounterClock Current = new(null, false);

    /// <summary>In steps at an unknown period.</summary>
    public static readonly CounterClock Unknown = new(null, true);

    /// <summary>In steps every <paramref name="period"/>.</summary>
    public static CounterClock Every(TimeSpan period) => new(period, true);

    /// <summary>What a source declared for the metric.</summary>
    public static CounterClock Of(MetricInfo metric) =>
        metric.UpdatePeriod is { } p && p > TimeSpan.Zero ? Every(p) : metric.UpdatePeriodUnknown ? Unknown : Current;

    /// <summary>The longest the counter may take to publish: its period; the slowest plausible one when unknown;
    /// zero when current at read time.</summary>
    public TimeSpan Worst => Period ?? (Stepped ? MetricInfo.SlowestPlausiblePeriod : TimeSpan.Zero);

    /// <summary>How often to read the counter so that each of its steps is placed to within a few ms: a tenth of its
    /// period within 5–10 ms, 10 ms when the period is unknown; zero when it is current at read time (any read is
    /// exact).</summary>
    public TimeSpan PlacingReads => !Stepped ? TimeSpan.Zero
        : TimeSpan.FromMilliseconds(Period is { } p ? Math.Clamp(p.TotalMilliseconds / 10, 5, 10) : 10);

    /// <summary>A track of this counter's readings, in ticks of <paramref name="ticksPerSecond"/>.</summary>
    public CounterTrack Track(double ticksPerSecond) => new(Period?.TotalSeconds * ticksPerSecond, Stepped && Period is null);

    public override string ToString() => Period is { } p ? $"every {p.TotalMilliseconds:0.#} ms" : Stepped ? "in steps, period unknown" : "current at read time";
}
