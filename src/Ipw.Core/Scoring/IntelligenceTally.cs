using Ipw.Core.Records;
using Ipw.Core.Summary;

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

    public IntelligenceSection ToSection(string? energyMissingReason)
    {
        var all = _all.ToSection(energyMissingReason);
        return new IntelligenceSection
        {
            Graded = all.Graded,
            Correct = all.Correct,
            Accuracy = all.Accuracy,
            AccuracyCi95 = all.AccuracyCi95,
            MeanEnergyPerQueryJ = all.MeanEnergyPerQueryJ,
            MeanPowerW = all.MeanPowerW,
            IntelligencePerJoule = all.IntelligencePerJoule,
            IntelligencePerWatt = all.IntelligencePerWatt,
            MissingReason = all.MissingReason,
            Ungraded = _ungraded,
            CiMethod = "Wilson score interval, 95 %",
            Definitions = Ipw.Abstractions.Statistics.IntelligenceDefinitions,
            BySubject = _bySubject.ToDictionary(p => p.Key, p => p.Value.ToSection(energyMissingReason), StringComparer.Ordinal),
        };
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

        public TallySection ToSection(string? energyMissingReason)
        {
            var f = Ipw.Abstractions.Statistics.Intelligence(_n, _correct, _energy, _energyN, _power, _powerN);
            return new TallySection
            {
                Graded = _n,
                Correct = _correct,
                Accuracy = f.Accuracy,
                AccuracyCi95 = f.AccuracyCi95 is { } c ? [c.Low, c.High] : null,
                MeanEnergyPerQueryJ = f.MeanEnergyJ,
                MeanPowerW = f.MeanPowerW,
                IntelligencePerJoule = f.PerJoule,
                IntelligencePerWatt = f.PerWatt,
                MissingReason = f.MeanEnergyJ is null
                    ? energyMissingReason ?? (_n == 0 ? "no graded queries" : $"{_n - _energyN} of {_n} graded queries have no energy")
                    : null,
            };
        }
    }
}
