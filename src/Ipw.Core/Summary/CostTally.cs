using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>Tallies the records' cost and CO2e (<c>cost_usd</c>, <c>co2e_g</c>): the run's totals only when every record
/// has one (a total over some would be smaller than the run's, not its), and the mean per query over those that have it.</summary>
internal sealed class CostTally
{
    private int _queries, _withCost, _withCo2e, _withFlops;
    private double _cost, _co2e, _prefill, _decode;

    public void Add(QueryRecord r)
    {
        _queries++;
        if (r.Get(RecordColumns.CostUsd) is { } cost) { _cost += cost; _withCost++; }
        if (r.Get(RecordColumns.Co2eG) is { } co2e) { _co2e += co2e; _withCo2e++; }
        if (r.Get(RecordColumns.FlopsPrefill) is { } prefill && r.Get(RecordColumns.FlopsDecode) is { } decode)
        {
            _prefill += prefill;
            _decode += decode;
            _withFlops++;
        }
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

    /// <summary>The queries' FLOPs, and energy per TFLOP and achieved FLOP/s over the run when every query has FLOPs;
    /// null without a model shape.</summary>
    /// <param name="energyJ">The queries' energy in total; null when not measured for every one.</param>
    /// <param name="runSpanS">The run's measured span.</param>
    public FlopsSection? ToFlops(Ipw.Abstractions.Models.ModelShape? shape, double? energyJ, double? runSpanS)
    {
        if (shape is null) return null;
        var whole = _withFlops == _queries && _queries > 0;
        var total = _prefill + _decode;
        return new FlopsSection
        {
            Source = shape.Source,
            PrefillTotal = whole ? _prefill : null,
            DecodeTotal = whole ? _decode : null,
            Total = whole ? total : null,
            MeanPerQuery = _withFlops > 0 ? total / _withFlops : null,
            QueriesMissingFlops = _queries - _withFlops,
            JoulesPerTflop = whole && total > 0 && energyJ is { } e ? e / (total / 1e12) : null,
            AchievedFlopsPerS = whole && runSpanS is > 0 ? total / runSpanS : null,
        };
    }
}
