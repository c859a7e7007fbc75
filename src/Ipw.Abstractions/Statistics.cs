using System.Numerics;

namespace Ipw.Abstractions;

/// <summary>Statistics the host and the analysis plugins must compute the same way.</summary>
public static class Statistics
{
    /// <summary>How every percentile ipw reports is defined, in words, for reports.</summary>
    public const string PercentileDefinition = "linear interpolation between order statistics: the p-th percentile of n sorted values "
        + "lies at rank p/100 × (n − 1), counted from 0 (Hyndman and Fan's definition 7; NumPy's default, as vLLM's bench serve uses)";

    /// <summary>The <paramref name="percent"/>-th percentile (0–100) of <paramref name="sorted"/>, by the one definition every
    /// ipw figure uses (<see cref="PercentileDefinition"/>): <c>numpy.percentile</c>'s default, so results compare with
    /// vLLM's <c>bench serve</c>. <c>Percentile([1, 2, 3, 4], 90)</c> is 3.7.</summary>
    /// <param name="sorted">The values, in ascending order, none NaN.</param>
    /// <param name="percent">From 0 (the minimum) to 100 (the maximum).</param>
    /// <exception cref="ArgumentException">No values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percent"/> is not within 0–100.</exception>
    public static double Percentile(ReadOnlySpan<double> sorted, double percent) => Interpolate(sorted, percent);

    /// <inheritdoc cref="Percentile(ReadOnlySpan{double}, double)"/>
    public static double Percentile(ReadOnlySpan<float> sorted, double percent) => Interpolate(sorted, percent);

    private static double Interpolate<T>(ReadOnlySpan<T> sorted, double percent) where T : INumberBase<T>
    {
        if (sorted.IsEmpty) throw new ArgumentException("no values", nameof(sorted));
        if (!(percent is >= 0 and <= 100)) throw new ArgumentOutOfRangeException(nameof(percent), percent, "a percentile is between 0 and 100");
        var rank = percent / 100 * (sorted.Length - 1);
        var lo = Math.Min((int)Math.Floor(rank), sorted.Length - 1);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        double a = double.CreateTruncating(sorted[lo]), b = double.CreateTruncating(sorted[hi]), t = rank - lo;
        // NumPy's monotonic form of a + (b − a)·t, which is exact at both ends.
        return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
    }

    /// <summary>Which points are on the Pareto frontier of value against cost, defined once for the frontier analysis and
    /// its figure: a point is on it when no other point costs no more and is worth no less, and is better in one of
    /// the two. A point with a NaN is on no frontier.</summary>
    /// <param name="points">Each point's cost (lower is better: energy, latency) and value (higher is better: accuracy).</param>
    public static bool[] ParetoFrontier(IReadOnlyList<(double Cost, double Value)> points)
    {
        var on = new bool[points.Count];
        for (var i = 0; i < points.Count; i++)
        {
            var (c, v) = points[i];
            if (double.IsNaN(c) || double.IsNaN(v)) continue;
            on[i] = true;
            for (var j = 0; j < points.Count && on[i]; j++)
            {
                var (oc, ov) = points[j];
                if (j != i && oc <= c && ov >= v && (oc < c || ov > v)) on[i] = false;
            }
        }
        return on;
    }

    /// <summary>The standard normal's 97.5 % quantile: the z of a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The Wilson score interval for <paramref name="correct"/> of <paramref name="n"/> at 95 %: unlike the
    /// normal approximation it stays inside [0, 1] and is honest at 0 or n correct and for small n.</summary>
    public static (double Low, double High) Wilson(int correct, int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), "no graded answers");
        if (correct < 0 || correct > n) throw new ArgumentOutOfRangeException(nameof(correct));
        double p = (double)correct / n, z2 = Z95 * Z95;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = Z95 / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>How intelligence per joule and per watt are defined, in words, for reports.</summary>
    public const string IntelligenceDefinitions = "intelligence_per_joule = accuracy / mean energy per graded query (J); "
        + "intelligence_per_watt = accuracy / mean device power during graded queries (W)";

    /// <summary>Accuracy and the intelligence metrics of a group of graded queries, defined once: accuracy over the mean
    /// energy per graded query (per joule) and over the mean power during them (per watt). The means need every graded
    /// query's measurement (a mean over some of them would not be the group's), so a missing one makes them null, never
    /// a number computed from a zero.</summary>
    /// <param name="graded">Graded queries.</param>
    /// <param name="correct">Of those, right.</param>
    /// <param name="energySumJ">Sum of the graded queries' energy, over those that have one.</param>
    /// <param name="withEnergy">Graded queries that have an energy.</param>
    /// <param name="powerSumW">Sum of the graded queries' average power, over those that have one.</param>
    /// <param name="withPower">Graded queries that have an average power.</param>
    public static IntelligenceFigures Intelligence(int graded, int correct, double energySumJ, int withEnergy, double powerSumW, int withPower)
    {
        double? accuracy = graded > 0 ? (double)correct / graded : null;
        double? meanEnergy = graded > 0 && withEnergy == graded ? energySumJ / graded : null;
        double? meanPower = graded > 0 && withPower == graded ? powerSumW / graded : null;
        return new IntelligenceFigures(accuracy, graded > 0 ? Wilson(correct, graded) : null, meanEnergy, meanPower,
            accuracy is { } a && meanEnergy is > 0 ? a / meanEnergy : null,
            accuracy is { } b && meanPower is > 0 ? b / meanPower : null);
    }
}

/// <summary>A group's accuracy (with its 95 % Wilson interval) and intelligence per joule and per watt; null where not
/// measured.</summary>
public readonly record struct IntelligenceFigures(double? Accuracy, (double Low, double High)? AccuracyCi95, double? MeanEnergyJ, double? MeanPowerW,
    double? PerJoule, double? PerWatt);
