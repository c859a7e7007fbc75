using Ipw.Abstractions;
using Ipw.Abstractions.Models;
using Ipw.Core.Costs;

namespace Ipw.Core.Records.Stages;

/// <summary>What the query cost: money and CO2e at the run's prices (<see cref="Pricing"/>), from the energy and tokens
/// the earlier stages wrote, and FLOPs from the model's shape (<see cref="ModelShape"/>). The fitted attribution rewrites
/// a record's energy when the run closes, and its cost and CO2e with it (<see cref="Energy.ActiveEnergyFinaliser"/>).</summary>
internal sealed class CostStage(Pricing? pricing, ModelShape? shape) : IRecordStage
{
    public RecordStage Stage => RecordStage.Cost;

    public void Fill(MeasuredQuery q, RecordBuilder r)
    {
        var energy = r.Get(RecordColumns.EnergyJ);
        var (input, output) = (r.Get(RecordColumns.InputTokens), r.Get(RecordColumns.OutputTokens));
        r.Set(RecordColumns.CostUsd, pricing?.Cost(energy, input, output))
         .Set(RecordColumns.Co2eG, pricing?.Co2eG(energy))
         .Set(RecordColumns.FlopsPrefill, shape is not null && input is { } p ? shape.PrefillFlops(p) : null)
         .Set(RecordColumns.FlopsDecode, shape is not null && input is { } p2 && output is { } o ? shape.DecodeFlops(p2, o) : null);
    }
}
