namespace Ipw.Core.Measurement;

/// <summary>
/// Energy above idle, defined once for a query and for the run: the energy minus the idle power times the time it
/// stands for (a query's share of each interval's duration; the idle gaps; the run's measured span). While the run goes
/// on, the idle power is the window's before it; once it closes, the idle power at the share's mean time, interpolated
/// between the windows before and after (<see cref="Energy.IdleSummary.At"/>). Idle power linear in time makes
/// <c>S · P(mean time)</c> the exact integral, so the queries' active energy plus the idle gaps' equals the run's.
/// </summary>
public static class ActiveEnergy
{
    /// <summary><paramref name="joules"/> − <paramref name="idleW"/> · <paramref name="seconds"/>; null without an idle power.</summary>
    public static double? Of(double joules, double seconds, double? idleW) => idleW is { } p ? joules - p * seconds : null;

    /// <summary>Each device's active energy: its share minus its own idle power times the same seconds; null unless every
    /// device's idle power is known.</summary>
    public static double[]? ByDevice(IReadOnlyList<double> joules, double seconds, Func<int, double?> idleW)
    {
        if (joules.Count == 0) return null;
        var active = new double[joules.Count];
        for (var i = 0; i < active.Length; i++)
        {
            if (idleW(i) is not { } p) return null;
            active[i] = joules[i] - p * seconds;
        }
        return active;
    }

    /// <summary>
    /// A query's active energy uncertainty (one standard deviation, J), from the counter's resolution in time and the
    /// baseline's spread:
    /// <list type="bullet">
    /// <item>each edge of the window falls somewhere between two counter publications, and the energy there is
    /// interpolated: the query's own power step (its active power) times a quarter of the counter's period, at
    /// each of the two edges;</item>
    /// <item>the idle power charged for the query's share of time is known to the baseline's level uncertainty and
    /// varies from second to second by its spread.</item>
    /// </list>
    /// </summary>
    /// <param name="activeJ">The active energy (its share of the window's power, for the edge term).</param>
    /// <param name="windowSeconds">The query's window.</param>
    /// <param name="shareSeconds">The idle-equivalent seconds it was charged.</param>
    /// <param name="counterPeriodS">The counter's period (the slowest plausible when unknown; 0 when current at read time).</param>
    /// <param name="idleLevelW">The baseline's level uncertainty, W (<see cref="Energy.IdleSummary.LevelUncertaintyW"/>).</param>
    /// <param name="idleSpreadW">The baseline's spread, W (<see cref="Energy.IdleSummary.SigmaW"/>), when known.</param>
    public static double ErrorOf(double activeJ, double windowSeconds, double shareSeconds, double counterPeriodS, double idleLevelW, double? idleSpreadW)
    {
        var stepW = windowSeconds > 0 ? Math.Abs(activeJ) / windowSeconds : 0;
        var edge = stepW * counterPeriodS / 4;
        var idle = shareSeconds * Math.Sqrt(idleLevelW * idleLevelW + (idleSpreadW ?? 0) * (idleSpreadW ?? 0));
        return Math.Sqrt(2 * edge * edge + idle * idle);
    }
}
