namespace Ipw.Core.Measurement;

/// <summary>
/// Energy above idle, defined once for a query and for the run: the energy minus the idle power times the time it
/// stands for (a query's share of each interval's duration; the run's measured span). The idle power is the one
/// measured before the run (<see cref="Energy.IdleSummary.PowerW"/>), the baseline in force while the queries ran and
/// known when each record is written; the baseline after the run checks it for drift. So the queries' active energy
/// plus the idle gaps' active energy equals the run's, exactly.
/// </summary>
public static class ActiveEnergy
{
    /// <summary><paramref name="joules"/> − <paramref name="idleW"/> · <paramref name="seconds"/>; null without an idle power.</summary>
    public static double? Of(double joules, double seconds, double? idleW) => idleW is { } p ? joules - p * seconds : null;
}
