using System.Diagnostics;

namespace Ipw.Core.Energy;

/// <summary>A query as the attributor shares energy to it: its times, what it has been given so far, and its result
/// once settled. Not thread-safe: the attributor holds its lock.</summary>
internal sealed class Query(int id, long start)
{
    public int Id { get; } = id;
    public long Start { get; set; } = start;
    public long End { get; set; }
    public long FirstToken { get; set; }
    public object? Tag { get; set; }
    public KahanSum Share;
    public double ShareSeconds, ShareMoment, Window, ConcurrencyIntegral;
    public bool Missing, NoData, Unknown;

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
        return new AttributedEnergy(Id,
            unknown ? double.NaN : Share.Value,
            unknown ? double.NaN : Window,
            unknown ? double.NaN : ShareSeconds,
            seconds > 0 ? ConcurrencyIntegral / seconds : 1,
            flags)
        {
            WindowSeconds = seconds,
            ShareMidT = ShareSeconds > 0 ? origin + (long)(ShareMoment / ShareSeconds * Stopwatch.Frequency) : Start + (End - Start) / 2,
            CounterPeriodS = longestPeriodTicks / Stopwatch.Frequency,
            Times = new QueryTimes(Start, FirstToken, End),
        };
    }
}
