using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>Tallies the records' cost and CO2e (<c>cost_usd</c>, <c>co2e_g</c>): the run's totals only when every record
/// has one (a total over some would be smaller than the run's, not its), and the mean per query over those that have it.</summary>
internal sealed class CostTally
{
    private int _queries, _withCost, _withCo2e;
    private double _cost, _co2e;

    public void Add(QueryRecord r)
    {
        _queries++;
        if (r.Get(RecordColumns.CostUsd) is { } cost) { _cost += cost; _withCost++; }
        if (r.Get(RecordColumns.Co2eG) is { } co2e) { _co2e += co2e; _withCo2e++; }
    }

    /// <summary>Null when the run priced nothing (no record has a cost or CO2e and none was asked for).</summary>
    public CostSection? ToSection(Costs.Pricing? pricing)
    {
        if (pricing is null && _withCost == 0 && _withCo2e == 0) return null;
        return new CostSection
        {
            TotalUsd = _withCost == _queries && _queries > 0 ? _cost : null,
            MeanUsdPerQuery = _withCost > 0 ? _cost / _withCost : null,
            QueriesMissingCost = pricing?.PricesCost == false ? 0 : _queries - _withCost,
            TotalCo2eG = _withCo2e == _queries && _queries > 0 ? _co2e : null,
            MeanCo2eGPerQuery = _withCo2e > 0 ? _co2e / _withCo2e : null,
            QueriesMissingCo2e = pricing?.CarbonGPerKwh is null ? 0 : _queries - _withCo2e,
        };
    }
}
