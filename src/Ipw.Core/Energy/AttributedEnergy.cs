namespace Ipw.Core.Energy;

/// <summary>How an interval's energy is shared among the queries active in it.</summary>
public enum AttributionMethod
{
    /// <summary>Equal shares among the queries active in each interval (time overlap).</summary>
    Overlap,
    /// <summary>Shares weighted by phase: a query before its first token (prefill) weighs <c>PrefillWeight</c>, after it 1.</summary>
    Phase,
    /// <summary>A power model fitted to the run (<see cref="FittedAttribution"/>), computed when the run closes; while it
    /// runs, records carry time-overlap shares.</summary>
    Fitted,
}

/// <summary>One query's attributed energy, final once the counter is known past the query's end.</summary>
public sealed record AttributedEnergy(
    int Query,
    /// <summary>The query's share of the measured energy, J (NaN: unknown).</summary>
    double ShareJ,
    /// <summary>The counter's delta over the whole window, J: what the query would be charged if it ran alone.</summary>
    double WindowJ,
    /// <summary>Idle-equivalent seconds charged to the query: its share of each interval's duration. Active
    /// energy is <c>ShareJ − P_idle · ShareSeconds</c>.</summary>
    double ShareSeconds,
    /// <summary>Time-averaged number of queries active during the window (itself included).</summary>
    double MeanConcurrency,
    /// <summary>Quality flags: short_window, missing_samples, no_counter_data; empty when none.</summary>
    IReadOnlyList<string> Flags)
{
    /// <summary>The window's length, s (from the query's start to its end as the attributor saw them).</summary>
    public double WindowSeconds { get; init; }

    /// <summary>When the query's share of time fell, on average (a monotonic timestamp: the <see cref="ShareSeconds"/>-weighted
    /// mean of its pieces' midpoints). An idle power that changes linearly in time is charged exactly as
    /// <c>ShareSeconds · P_idle(ShareMidT)</c>.</summary>
    public long ShareMidT { get; init; }

    /// <summary>How far a counter publication may be from where it was placed, s: the counters' longest period (the
    /// slowest plausible one when unknown), zero for counters current at read time. Each edge of a window inherits it.</summary>
    public double CounterPeriodS { get; init; }

    /// <summary>The query's start, first token and end as the attributor cut time at them.</summary>
    public QueryTimes Times { get; init; }

    /// <summary><see cref="ShareJ"/> counter by counter, in the attributor's order (empty when unknown): they add up to it
    /// exactly, in that order.</summary>
    public IReadOnlyList<double> ShareJByCounter { get; init; } = [];

    /// <summary><see cref="WindowJ"/> counter by counter, likewise.</summary>
    public IReadOnlyList<double> WindowJByCounter { get; init; } = [];

    /// <summary>Per-device values added in their order: how every total of a per-device list is made, so the list adds
    /// up to it exactly.</summary>
    public static double Total(IReadOnlyList<double> values)
    {
        double sum = 0;
        for (var i = 0; i < values.Count; i++) sum += values[i];
        return sum;
    }
}
