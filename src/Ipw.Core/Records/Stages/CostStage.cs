using Ipw.Abstractions;
using Ipw.Core.Costs;

namespace Ipw.Core.Records.Stages;

/// <summary>What the query cost and emitted at the run's prices (<see cref="Pricing"/>), from the energy and tokens the
/// earlier stages wrote. The fitted attribution rewrites a record's energy when the run closes, and its cost and CO2e
/// with it (<see cref="Energy.ActiveEnergyFinaliser"/>).</summary>
internal sealed class CostStage(Pricing pricing) : IRecordStage
{
    public RecordStage Stage => RecordStage.Cost;

    public void Fill(MeasuredQuery q, RecordBuilder r)
    {
        var energy = r.Get(RecordColumns.EnergyJ);
        r.Set(RecordColumns.CostUsd, pricing.Cost(energy, r.Get(RecordColumns.InputTokens), r.Get(RecordColumns.OutputTokens)))
         .Set(RecordColumns.Co2eG, pricing.Co2eG(energy));
    }
}
