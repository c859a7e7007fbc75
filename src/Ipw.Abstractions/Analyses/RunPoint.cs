namespace Ipw.Abstractions;

/// <summary>One run's place among the others: accuracy over its graded queries, with their mean energy and mean
/// end-to-end latency (<see cref="Statistics.Intelligence"/>'s definitions: a mean needs every graded query's value;
/// NaN where not measured). The frontier analysis and its figure place runs by it.</summary>
public sealed record RunPoint(string Label, string Directory, int Graded, double Accuracy, double MeanEnergyJ, double MeanE2eS)
{
    /// <summary>The run's point, from its records.</summary>
    public static RunPoint Of(IRunView run)
    {
        double[]? Get(RecordColumn c) => run.Columns.Contains(c.Name) ? run.Numbers(c.Name) : null;
        var correct = Get(RecordColumns.Correct);
        var energy = Get(RecordColumns.EnergyJ);
        var e2e = Get(RecordColumns.E2eLatencyS);
        var power = Get(RecordColumns.AvgPowerW);
        int graded = 0, right = 0, withEnergy = 0, withPower = 0;
        double energySum = 0, e2eSum = 0, powerSum = 0;
        var e2eMissing = false;
        for (var i = 0; correct is not null && i < correct.Length; i++)
        {
            if (double.IsNaN(correct[i])) continue;
            graded++;
            if (correct[i] == 1) right++;
            if (energy is not null && !double.IsNaN(energy[i])) { energySum += energy[i]; withEnergy++; }
            if (e2e is not null && !double.IsNaN(e2e[i])) e2eSum += e2e[i]; else e2eMissing = true;
            if (power is not null && !double.IsNaN(power[i])) { powerSum += power[i]; withPower++; }
        }
        var f = Statistics.Intelligence(graded, right, energySum, withEnergy, powerSum, withPower);
        return new RunPoint(run.Label, run.Directory, graded, f.Accuracy ?? double.NaN, f.MeanEnergyJ ?? double.NaN,
            graded > 0 && !e2eMissing ? e2eSum / graded : double.NaN)
        {
            MeanPowerW = f.MeanPowerW ?? double.NaN,
            IntelligencePerJoule = f.PerJoule ?? double.NaN,
            IntelligencePerWatt = f.PerWatt ?? double.NaN,
        };
    }

    /// <summary>Mean device power during the graded queries (NaN when any lacks one).</summary>
    public double MeanPowerW { get; init; } = double.NaN;

    /// <summary>Accuracy over mean energy per graded query (<see cref="Statistics.Intelligence"/>); NaN when not measured.</summary>
    public double IntelligencePerJoule { get; init; } = double.NaN;

    /// <summary>Accuracy over mean power during the graded queries (<see cref="Statistics.Intelligence"/>); NaN when not measured.</summary>
    public double IntelligencePerWatt { get; init; } = double.NaN;
}
