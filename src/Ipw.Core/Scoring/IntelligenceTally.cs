using System.Text.Json.Nodes;
using Ipw.Core.Records;
using Ipw.Core.Runs;

namespace Ipw.Core.Scoring;

/// <summary>
/// Accuracy and the intelligence metrics, overall and per subject: intelligence per joule is accuracy over the mean
/// energy per graded query, intelligence per watt is accuracy over the mean power during graded queries. Both are
/// null, with the reason, where energy or power was not measured: never computed from a zero.
/// </summary>
internal sealed class IntelligenceTally
{
    private readonly Tally _all = new();
    private readonly SortedDictionary<string, Tally> _bySubject = new(StringComparer.Ordinal);
    private int _ungraded;

    public void Add(QueryRecord r)
    {
        if (r.Correct is not { } correct)
        {
            _ungraded++;
            return;
        }
        _all.Add(correct, r);
        var subject = r.Subject ?? "(none)";
        if (!_bySubject.TryGetValue(subject, out var t)) _bySubject[subject] = t = new Tally();
        t.Add(correct, r);
    }

    public JsonObject ToJson(string? energyMissingReason)
    {
        var json = _all.ToJson(energyMissingReason);
        json["ungraded"] = _ungraded;
        json["ci_method"] = "Wilson score interval, 95 %";
        json["definitions"] = "intelligence_per_joule = accuracy / mean energy per graded query (J); "
            + "intelligence_per_watt = accuracy / mean device power during graded queries (W)";
        var subjects = new JsonObject();
        foreach (var (name, t) in _bySubject) subjects[name] = t.ToJson(energyMissingReason);
        json["by_subject"] = subjects;
        return json;
    }

    private sealed class Tally
    {
        private int _n, _correct, _energyN, _powerN;
        private double _energy, _power;

        public void Add(bool correct, QueryRecord r)
        {
            _n++;
            if (correct) _correct++;
            if (r.EnergyJ is { } e) { _energy += e; _energyN++; }
            if (r.AvgPowerW is { } p) { _power += p; _powerN++; }
        }

        public JsonObject ToJson(string? energyMissingReason)
        {
            double? accuracy = _n > 0 ? (double)_correct / _n : null;
            var ci = _n > 0 ? Ipw.Abstractions.Statistics.Wilson(_correct, _n) : ((double, double)?)null;
            // Every graded query needs its energy: a mean over some of them would not be the run's.
            double? meanEnergy = _energyN == _n && _n > 0 ? _energy / _n : null;
            double? meanPower = _powerN == _n && _n > 0 ? _power / _n : null;
            return new JsonObject
            {
                ["graded"] = _n,
                ["correct"] = _correct,
                ["accuracy"] = accuracy,
                ["accuracy_ci95"] = ci is { } c ? new JsonArray(c.Item1, c.Item2) : null,
                ["mean_energy_per_query_j"] = meanEnergy,
                ["mean_power_w"] = meanPower,
                ["intelligence_per_joule"] = accuracy is { } a && meanEnergy is > 0 ? a / meanEnergy : null,
                ["intelligence_per_watt"] = accuracy is { } a2 && meanPower is > 0 ? a2 / meanPower : null,
                ["missing_reason"] = meanEnergy is null
                    ? energyMissingReason ?? (_n == 0 ? "no graded queries" : $"{_n - _energyN} of {_n} graded queries have no energy")
                    : null,
            };
        }
    }
}
