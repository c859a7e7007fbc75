using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;

namespace Ipw.Core.Records.Stages;

/// <summary>
/// The query's energy from the attributor, its active energy (<see cref="ActiveEnergy"/>, the one definition the run's
/// total uses too) and its average power: from the energy counter where there is one, since sampled power lags or misses
/// short windows; from sampled power only without a counter.
/// </summary>
/// <param name="idle">The idle baseline as known now (while the run goes on, the window before it).</param>
internal sealed class EnergyStage(TelemetryMap map, AttributionMethod method, Func<IdleSummary> idle) : IRecordStage
{
    public RecordStage Stage => RecordStage.Energy;

    public void Fill(MeasuredQuery q, RecordBuilder r)
    {
        if (q.Energy is not { } e)
        {
            // No counter: say why, and fall back to sampled power for the average.
            double? sampled = map.Power.Count > 0 ? TelemetryMap.Sum(q.Window.Mean, map.Power) : null;
            r.Set(RecordColumns.EnergyMissingReason, map.EnergyMissingReason)
             .Set(RecordColumns.AvgPowerW, sampled)
             .Set(RecordColumns.PowerMissingReason, sampled is not null ? null
                : map.Power.Count > 0 ? "no power sample inside this query's window" : map.PowerMissingReason);
            return;
        }
        r.Set(RecordColumns.EnergySource, map.EnergySource)
         .Set(RecordColumns.MeanConcurrency, e.MeanConcurrency)
         .Set(RecordColumns.EnergyQuality, e.Flags.Count == 0 ? "ok" : string.Join(",", e.Flags))
         // One query alone owns its window; otherwise its energy is a share: an estimate, labelled as such.
         .Set(RecordColumns.EnergyMethod, e.MeanConcurrency <= 1.000001 ? "window" : method == AttributionMethod.Phase ? "phase-share" : "overlap-share");
        if (double.IsNaN(e.ShareJ))
        {
            r.Set(RecordColumns.EnergyMissingReason, "the energy counter did not cover this query's window (read failures or the run ended first)")
             .Set(RecordColumns.PowerMissingReason, "no energy reading covered this query's window");
            return;
        }
        var baseline = idle();
        // Device by device where each one's idle power is known; the total is then their sum.
        var activeByDevice = ActiveEnergy.ByDevice(e.ShareJByCounter, e.ShareSeconds, i => baseline.At(e.ShareMidT, i));
        var active = activeByDevice is not null ? AttributedEnergy.Total(activeByDevice) : ActiveEnergy.Of(e.ShareJ, e.ShareSeconds, baseline.At(e.ShareMidT));
        r.Set(RecordColumns.EnergyJ, e.ShareJ)
         .Set(RecordColumns.EnergyWindowJ, e.WindowJ)
         .Set(RecordColumns.ActiveEnergyJ, active)
         .Set(RecordColumns.ActiveEnergyJErr, ErrorOf(e, active, baseline));
        // The devices' average power over the window (not the query's share of it), where the window allows one.
        var powerByDevice = e.Flags.Contains("short_window") || e.WindowSeconds <= 0 ? null : e.WindowJByCounter.Select(j => j / e.WindowSeconds).ToArray();
        r.Set(RecordColumns.EnergyByDevice, DeviceParts.Of(map.EnergyDevices, e.ShareJByCounter, activeByDevice, powerByDevice));
        if (e.Flags.Contains("short_window"))
        {
            // Shorter than two counter periods: the window's energy rests on interpolation across a step, which
            // flattens the power a short burst drew. No number rather than a low one.
            r.Set(RecordColumns.PowerMissingReason, $"the window ({e.WindowSeconds * 1000:0.#} ms) is shorter than two counter periods "
                + $"({2 * e.CounterPeriodS * 1000:0.#} ms): its average power would rest on interpolation; energy_window_j is an estimate");
            return;
        }
        if (powerByDevice is null) return;
        r.Set(RecordColumns.AvgPowerW, AttributedEnergy.Total(powerByDevice));
    }

    /// <summary>The uncertainty of a query's active energy (<see cref="ActiveEnergy.ErrorOf"/>); null without a baseline.</summary>
    internal static double? ErrorOf(AttributedEnergy e, double? active, IdleSummary baseline) =>
        active is { } a && baseline.LevelUncertaintyW is { } level
            ? ActiveEnergy.ErrorOf(a, e.WindowSeconds, e.ShareSeconds, e.CounterPeriodS, level, baseline.SigmaW)
            : null;
}
