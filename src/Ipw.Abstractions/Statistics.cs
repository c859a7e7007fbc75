namespace Ipw.Abstractions;

/// <summary>Statistics the host and the analysis plugins must compute the same way.</summary>
public static class Statistics
{
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
}
