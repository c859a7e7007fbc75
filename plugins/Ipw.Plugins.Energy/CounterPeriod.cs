using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// Learns how often stepped energy counters publish (NVML documents no period: boards step every 20–100 ms, some at
/// 1 s, and the steps jitter). Every counter is polled about every millisecond, all at once, until each has settled or
/// <see cref="Bound"/> passes, or its next change would come after the bound: a 20 ms counter costs well under 0.1 s of
/// start-up, a 1 s one about 2 s. The period is the median interval between changes, so one late poll or one jittered
/// publication does not set it.
/// </summary>
internal static class CounterPeriod
{
    /// <summary>How long learning may take: long enough to see a 1 s counter change twice.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(2.5);

    /// <summary>What was learned of one counter.</summary>
    /// <param name="PeriodMs">The median interval between changes; null when fewer than two changes were seen.</param>
    /// <param name="Changes">How many changes were seen.</param>
    /// <param name="Intervals">The intervals between changes, in ms.</param>
    /// <param name="Spent">How long it took to settle (or the whole time, when it did not).</param>
    /// <param name="FailedReading">When a read failed while learning: how (learning stopped there).</param>
    /// <param name="First">The first reading.</param>
    /// <param name="Last">The last reading.</param>
    /// <param name="SpanMs">The time between the first reading and the last.</param>
    public sealed record Estimate(double? PeriodMs, int Changes, IReadOnlyList<double> Intervals, TimeSpan Spent, string? FailedReading,
        ulong First, ulong Last, double SpanMs)
    {
        /// <summary>For the metric: the period, or that it is unknown.</summary>
        public MetricInfo Apply(MetricInfo metric) => PeriodMs is { } ms
            ? metric with { UpdatePeriod = TimeSpan.FromMilliseconds(ms) }
            : metric with { UpdatePeriodUnknown = true };

        /// <summary>How the period was found, or why it was not, for the probe's details.</summary>
        public string Describe()
        {
            var spent = Spent.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
            if (PeriodMs is { } ms)
            {
                var range = string.Create(CultureInfo.InvariantCulture, $"{Intervals.Min():0.#}–{Intervals.Max():0.#} ms");
                return Intervals.Count == 1
                    ? string.Create(CultureInfo.InvariantCulture, $"{ms:0.#} ms from a single interval between changes, in {spent} s (a slow counter)")
                    : string.Create(CultureInfo.InvariantCulture, $"{ms:0.#} ms: median of {Intervals.Count} intervals between changes ({range}), learned in {spent} s");
            }
            return FailedReading is { } failure
                ? $"unknown: the counter's read failed while its period was being learned ({failure})"
                : $"unknown: the counter changed {(Changes == 0 ? "not once" : "only once")} in {spent} s (an idle board, or a counter slower than that)";
        }
    }

    /// <summary>Learns every counter at once.</summary>
    /// <param name="counters">Each counter's reading; null when the read failed (<paramref name="failure"/> then says how).</param>
    /// <param name="minimum">Keep reading at least this long, for callers that also judge the counters' rate.</param>
    public static Estimate[] Learn(IReadOnlyList<Func<ulong?>> counters, Func<int, string> failure, TimeSpan? minimum = null)
    {
        var n = counters.Count;
        var first = new ulong[n];
        var last = new ulong[n];
        var lastAt = new double[n];
        var changes = new List<double>[n];
        var settledAt = new double?[n];
        var failed = new string?[n];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            changes[i] = [];
            if (counters[i]() is { } v) first[i] = last[i] = v;
            else (failed[i], settledAt[i]) = (failure(i), 0);
        }
        while (true)
        {
            Thread.Sleep(1);
            var t = watch.Elapsed.TotalMilliseconds;
            var pending = false;
            for (var i = 0; i < n; i++)
            {
                if (failed[i] is not null) continue;
                if (counters[i]() is not { } v)
                {
                    failed[i] = failure(i);
                    settledAt[i] ??= t;
                    continue;
                }
                if (v != last[i] && settledAt[i] is null)
                {
                    changes[i].Add(t);
                    var intervals = Intervals(changes[i]);
                    // Settled, or the next change would come after the bound: waiting longer would add nothing.
                    if (Settled(intervals) || (intervals.Count > 0 && t + 1.1 * Median(intervals) > Bound.TotalMilliseconds)) settledAt[i] = t;
                }
                last[i] = v;
                lastAt[i] = t;
                pending |= settledAt[i] is null;
            }
            if (watch.Elapsed >= Bound || (!pending && watch.Elapsed >= (minimum ?? TimeSpan.Zero))) break;
        }
        var estimates = new Estimate[n];
        for (var i = 0; i < n; i++)
        {
            var intervals = Intervals(changes[i]);
            var period = failed[i] is null && intervals.Count > 0 ? Median(intervals) : (double?)null;
            var spent = TimeSpan.FromMilliseconds(settledAt[i] ?? watch.Elapsed.TotalMilliseconds);
            estimates[i] = new Estimate(period, changes[i].Count, intervals, spent, failed[i], first[i], last[i], lastAt[i]);
        }
        return estimates;
    }

    /// <summary>Confident: three intervals (their median), or two within 10 % of each other (a steady counter need not be
    /// watched longer).</summary>
    private static bool Settled(List<double> intervals) =>
        intervals.Count >= 3 || (intervals.Count == 2 && Math.Abs(intervals[0] - intervals[1]) <= 0.1 * (intervals[0] + intervals[1]) / 2);

    private static List<double> Intervals(List<double> changes)
    {
        var intervals = new List<double>(Math.Max(0, changes.Count - 1));
        for (var i = 1; i < changes.Count; i++) intervals.Add(changes[i] - changes[i - 1]);
        return intervals;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
