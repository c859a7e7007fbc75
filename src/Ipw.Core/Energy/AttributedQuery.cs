using System.Diagnostics;

namespace Ipw.Core.Energy;

/// <summary>A query as the attributor shares energy to it: its times, what it has been given so far, and its result
/// once settled. Not thread-safe: the attributor holds its lock.</summary>
internal sealed class Query(int id, long start, int counters)
{
    public int Id { get; } = id;
    public long Start { get; set; } = start;
    public long End { get; set; }
    public long FirstToken { get; set; }
    public object? Tag { get; set; }
    // Counter by counter: the query's share of each one's energy, and each one's energy over the whole window.
    private readonly KahanSum[] _share = new KahanSum[counters];
    private readonly double[] _window = new double[counters];
    public double ShareSeconds, ShareMoment, ConcurrencyIntegral;
    public bool Missing, NoData, Unknown;

    /// <summary>Takes <paramref name="share"/> of a piece whose counters measured <paramref name="byCounter"/>.</summary>
    /// <param name="mid">The piece's middle, seconds since measuring began.</param>
    /// <param name="active">How many queries were active in the piece.</param>
    public void Take(ReadOnlySpan<double> byCounter, double share, double seconds, double mid, int active, bool gap)
    {
        for (var i = 0; i < byCounter.Length; i++)
        {
            _share[i].Add(byCounter[i] * share);
            _window[i] += byCounter[i];
        }
        ShareSeconds += seconds * share;
        ShareMoment += seconds * share * mid;
        ConcurrencyIntegral += seconds * active;
        Missing |= gap;
    }

    /// <summary>The settled share, with its quality flags.</summary>
    /// <param name="longestPeriodTicks">The counters' longest period (an unknown one as the slowest plausible).</param>
    /// <param name="periodUnknown">Some counter's period could not be learned.</param>
    /// <param name="origin">Where measuring began: the moments are seconds since then.</param>
    public AttributedEnergy Result(double longestPeriodTicks, bool periodUnknown, long origin)
    {
        var flags = new List<string>(3);
        var seconds = (double)(End - Start) / Stopwatch.Frequency;
        // A window shorter than two counter updates rests mostly on interpolation.
        if (longestPeriodTicks > 0 && End - Start < 2 * longestPeriodTicks) flags.Add("short_window");
        if (Missing) flags.Add("missing_samples");
        if (NoData || Unknown) flags.Add("no_counter_data");
        if (periodUnknown) flags.Add("period_unknown");
        var unknown = NoData || Unknown;
        var shares = _share.Select(k => k.Value).ToArray();
        // The totals are the counters' values added in order: a record's per-device list adds up to them exactly.
        return new AttributedEnergy(Id,
            unknown ? double.NaN : AttributedEnergy.Total(shares),
            unknown ? double.NaN : AttributedEnergy.Total(_window),
            unknown ? double.NaN : ShareSeconds,
            seconds > 0 ? ConcurrencyIntegral / seconds : 1,
            flags)
        {
            WindowSeconds = seconds,
            ShareMidT = ShareSeconds > 0 ? origin + (long)(ShareMoment / ShareSeconds * Stopwatch.Frequency) : Start + (End - Start) / 2,
            CounterPeriodS = longestPeriodTicks / Stopwatch.Frequency,
            Times = new QueryTimes(Start, FirstToken, End),
            ShareJByCounter = unknown ? [] : shares,
            WindowJByCounter = unknown ? [] : [.. _window],
        };
    }
}
