using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;

namespace Ipw.Core.Records.Stages;

/// <summary>
/// The query's energy from the attributor, its active energy (<see cref="ActiveEnergy"/>, the one definition the run's
/// total uses too) and its average power: from the energy counter where there is one, since sampled power lags or misses
/// short windows; from sampled power only without a counter.
/// </summary>
/// <param name="idlePowerW">The idle power active energy subtracts (null: not measured).</param>
internal sealed class EnergyStage(TelemetryMap map, AttributionMethod method, Func<double?> idlePowerW) : IRecordStage
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
        r.Set(RecordColumns.EnergyJ, e.ShareJ)
         .Set(RecordColumns.EnergyWindowJ, e.WindowJ)
         .Set(RecordColumns.ActiveEnergyJ, ActiveEnergy.Of(e.ShareJ, e.ShareSeconds, idlePowerW()))
         // The devices' average power over the window (not the query's share of it).
         .Set(RecordColumns.AvgPowerW, e.WindowSeconds > 0 ? e.WindowJ / e.WindowSeconds : null);
    }
}
