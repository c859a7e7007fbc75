namespace Ipw.Core.Energy;

/// <summary>
/// The run's idle baseline: the windows before and after the run, and the one idle power every active energy
/// subtracts. While the run goes on only the window before is known, and records are written with it; when the run
/// closes, the idle power at each moment is interpolated linearly between the two windows' middles
/// (<see cref="At"/>), so a baseline that drifted is charged as it moved, the same way to the queries, the idle gaps
/// and the run.
/// </summary>
public sealed record IdleSummary(IdleMeasurement? Before, IdleMeasurement? After)
{
    /// <summary>Drift beyond this many combined standard errors is flagged <c>baseline_drift</c>.</summary>
    public const double DriftSigmas = 3;

    /// <summary>The idle power in force while the run goes on: the window before it (null: not measured).</summary>
    public double? PowerW => Before?.MeanW ?? After?.MeanW;

    /// <summary>The idle power at <paramref name="t"/> (a monotonic timestamp): linear between the windows' middles,
    /// the nearer window's outside them, the one window's when only one was measured; null with none.</summary>
    public double? At(long t)
    {
        if (Before is null || After is null || After.MidT <= Before.MidT) return PowerW;
        var f = Math.Clamp((double)(t - Before.MidT) / (After.MidT - Before.MidT), 0, 1);
        return Before.MeanW + f * (After.MeanW - Before.MeanW);
    }

    /// <summary>Counter <paramref name="counter"/>'s idle power at <paramref name="t"/>, interpolated as <see cref="At(long)"/>;
    /// null when not measured.</summary>
    public double? At(long t, int counter)
    {
        double? Of(IdleMeasurement? m) => m is not null && counter < m.ByCounterW.Count ? m.ByCounterW[counter] : null;
        if (Of(Before) is not { } b || Of(After) is not { } a || After!.MidT <= Before!.MidT) return Of(Before) ?? Of(After);
        var f = Math.Clamp((double)(t - Before.MidT) / (After.MidT - Before.MidT), 0, 1);
        return b + f * (a - b);
    }

    /// <summary>How the idle power charged is found, in words, for summary.json.</summary>
    public string Basis => Before is not null && After is not null
        ? "interpolated linearly in time between the windows before and after the run (at each query's share of time and each idle gap); records carry it once the run has closed"
        : Before is not null ? "the window before the run (none after it)" : After is not null ? "the window after the run (none before it)" : "not measured";

    /// <summary>After − before, W; null unless both were measured.</summary>
    public double? DriftW => Before is not null && After is not null ? After.MeanW - Before.MeanW : null;

    /// <summary>The uncertainty of that difference: the windows' standard errors combined.</summary>
    public double? DriftUncertaintyW => Before is not null && After is not null
        ? Math.Sqrt(Before.StandardErrorW * Before.StandardErrorW + After.StandardErrorW * After.StandardErrorW) : null;

    /// <summary>Whether idle power moved by more than the windows can account for.</summary>
    public bool Drifted => DriftW is { } d && DriftUncertaintyW is { } u && Math.Abs(d) > DriftSigmas * u;

    /// <summary>The energy of both windows over their total duration (reported beside <see cref="PowerW"/>).</summary>
    public double? MeanW
    {
        get
        {
            var parts = new[] { Before, After }.Where(m => m is not null).ToList();
            return parts.Count == 0 ? null : parts.Sum(m => m!.EnergyJ) / parts.Sum(m => m!.DurationS);
        }
    }

    /// <summary>Spread of idle power from second to second: the larger of the windows' bin deviations (null when
    /// neither had two bins).</summary>
    public double? SigmaW
    {
        get
        {
            var sigmas = new[] { Before?.SigmaW, After?.SigmaW }.Where(s => s is not null).ToList();
            return sigmas.Count == 0 ? null : sigmas.Max();
        }
    }

    /// <summary>How well the idle power charged at any moment is known, W: the larger standard error of the two
    /// windows and, when idle drifted, half the drift (it may have stepped rather than moved linearly).</summary>
    public double? LevelUncertaintyW
    {
        get
        {
            if (Before is null && After is null) return null;
            var se = Math.Max(Before?.StandardErrorW ?? 0, After?.StandardErrorW ?? 0);
            var drift = Drifted ? DriftW!.Value / 2 : 0;
            return Math.Sqrt(se * se + drift * drift);
        }
    }

    /// <summary>The flags every active energy carries from the baseline: <c>baseline_drift</c>, <c>few_counter_steps</c>.</summary>
    public IReadOnlyList<string> Flags
    {
        get
        {
            var flags = new List<string>(2);
            if (Drifted) flags.Add("baseline_drift");
            if (Before?.Flags.Count > 0 || After?.Flags.Count > 0) flags.Add("baseline_few_counter_steps");
            return flags;
        }
    }
}
