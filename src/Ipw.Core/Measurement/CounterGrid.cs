namespace Ipw.Core.Measurement;

/// <summary>
/// Narrows where a stepped counter published each value, for the fit at a run's close. A read shows only that a step
/// happened since the read before: with a 50 ms sampler a step is known to ±25 ms, and a query that starts or stops
/// near it is charged the power of the wrong side for that long. But counters publish on a clock (NVML about every
/// 100 ms, give or take a few): numbered along that clock, every step's span, moved back by its number of periods,
/// bounds the same phase. The sampler's reads fall at every phase of the clock (their intervals are dithered), so
/// the spans' common part is narrow: the phase is taken from the steps around each one (ten on each side, so a clock
/// that drifts or a missed step only matters locally) as the middle of the stretch most of their spans cover (so a
/// few steps off the grid do not empty it), and each step is placed there, kept inside the span the reads bound it to:
/// a counter off any grid is placed no worse than the reads alone place it.
/// </summary>
public static class CounterGrid
{
    /// <summary>Steps on each side whose spans bound a step's phase.</summary>
    public const int Neighbours = 10;

    /// <param name="knots">A counter's knots, in time order.</param>
    /// <param name="brackets">Each knot's span, as <see cref="CounterTrack.Brackets"/> gives them.</param>
    /// <param name="periodTicks">The counter's period when known; otherwise the median spacing of its steps.</param>
    public static IReadOnlyList<(long T, double V)> Refine(IReadOnlyList<(long T, double V)> knots, IReadOnlyList<(long Low, long High)> brackets,
        double? periodTicks)
    {
        var steps = Enumerable.Range(0, knots.Count).Where(i => brackets[i].High > brackets[i].Low).ToArray();
        if (steps.Length < 3) return knots;
        var mids = steps.Select(i => (brackets[i].Low + brackets[i].High) / 2.0).ToArray();
        var spacing = Median(mids.Zip(mids.Skip(1), (a, b) => b - a));
        // Read more slowly than it publishes, a counter shows several publications per step and its clock cannot be
        // followed from the steps: they are left as the reads place them.
        if (periodTicks is { } declared && !(spacing < 1.5 * declared)) return knots;
        var period = Period(mids, periodTicks ?? spacing);
        if (!(period > 0)) return knots;
        // Number the steps along the clock (a gap of two periods is a publication that showed no change).
        var n = new long[steps.Length];
        for (var k = 1; k < steps.Length; k++) n[k] = (long)Math.Round((mids[k] - mids[0]) / period);
        for (var k = 1; k < steps.Length; k++) n[k] = Math.Max(n[k], n[k - 1] + 1);
        var refined = knots.ToArray();
        var edges = new List<(double At, int Delta)>(4 * Neighbours + 2);
        for (var k = 0; k < steps.Length; k++)
        {
            int from = Math.Max(0, k - Neighbours), to = Math.Min(steps.Length - 1, k + Neighbours);
            if (to - from < 4) continue;
            // Each neighbour's span, moved onto this step: where this step must be if the clock is regular.
            edges.Clear();
            for (var j = from; j <= to; j++)
            {
                var shift = (n[k] - n[j]) * period;
                edges.Add((brackets[steps[j]].Low + shift, +1));
                edges.Add((brackets[steps[j]].High + shift, -1));
            }
            // Inside its own span, and never past the knots around it (time keeps increasing).
            var i = steps[k];
            var low = Math.Max(brackets[i].Low, i > 0 ? refined[i - 1].T + 1 : long.MinValue);
            var high = Math.Min(brackets[i].High, i + 1 < knots.Count ? brackets[i + 1].Low - 1 : long.MaxValue);
            if (low <= high) refined[i] = (Math.Clamp((long)Math.Round(MostAgreed(edges)), low, high), knots[i].V);
        }
        return refined;
    }

    /// <summary>The middle of the stretch that most spans cover (the common part of all of them, when they agree).</summary>
    private static double MostAgreed(List<(double At, int Delta)> edges)
    {
        // Starts before ends at the same instant: spans that touch agree there.
        edges.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : b.Delta.CompareTo(a.Delta));
        int depth = 0, best = -1;
        double from = 0, to = 0;
        for (var i = 0; i < edges.Count; i++)
        {
            depth += edges[i].Delta;
            if (edges[i].Delta > 0 && depth > best && i + 1 < edges.Count)
            {
                best = depth;
                from = edges[i].At;
                to = edges[i + 1].At;
            }
        }
        return (from + to) / 2;
    }

    /// <summary>
    /// The clock's period from the steps themselves, to a small fraction of a millisecond: a probe's estimate (a few
    /// intervals of a jittery counter) numbers steps one apart, whose mean spacing numbers steps ten apart, whose mean
    /// numbers steps a hundred apart; each span of m periods divides the midpoints' noise by m.
    /// </summary>
    private static double Period(double[] mids, double guess)
    {
        var period = guess;
        foreach (var apart in new[] { 1, 10, 100 })
        {
            if (mids.Length <= apart || !(period > 0)) break;
            double sum = 0;
            long count = 0;
            for (var k = apart; k < mids.Length; k++)
            {
                var m = Math.Round((mids[k] - mids[k - apart]) / period);
                if (m < 1) continue;
                sum += mids[k] - mids[k - apart];
                count += (long)m;
            }
            if (count > 0) period = sum / count;
        }
        return period;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : Abstractions.Statistics.Percentile(sorted, 50);
    }
}
