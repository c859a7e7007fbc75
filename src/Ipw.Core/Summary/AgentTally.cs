using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>Tallies the tasks an agent answered (<c>--agent</c>): steps, and the time and energy spent in tools.</summary>
internal sealed class AgentTally
{
    private int _tasks, _withEnergy, _graded, _right, _gradedWithEnergy;
    private double _taskEnergy, _gradedEnergy;
    private long _modelSteps, _toolSteps;
    private double _stepTime, _toolTime, _energy, _toolEnergy;

    public void Add(QueryRecord r)
    {
        if (r.Get(RecordColumns.ModelSteps) is not { } model) return;
        _tasks++;
        _modelSteps += model;
        _toolSteps += r.Get(RecordColumns.ToolSteps) ?? 0;
        _toolTime += r.Get(RecordColumns.ToolTimeS) ?? 0;
        _stepTime += r.Get(RecordColumns.StepDurationsS)?.Sum() ?? 0;
        if (r.EnergyJ is { } taskEnergy) { _taskEnergy += taskEnergy; _withEnergy++; }
        if (r.Correct is { } right)
        {
            _graded++;
            if (right) _right++;
            if (r.EnergyJ is { } ge) { _gradedEnergy += ge; _gradedWithEnergy++; }
        }
        if (r.EnergyJ is not { } energy || r.Get(RecordColumns.StepEnergyShare) is not { } shares || r.Get(RecordColumns.StepKinds) is not { } kinds) return;
        var kind = kinds.Split(',');
        _energy += energy;
        for (var i = 0; i < shares.Count && i < kind.Length; i++)
            if (kind[i] != "model") _toolEnergy += energy * shares[i];
    }

    public AgentSection? ToSection()
    {
        if (_tasks == 0) return null;
        var intelligence = Statistics.Intelligence(_graded, _right, _gradedEnergy, _gradedWithEnergy, 0, 0);
        return new AgentSection(_tasks, (double)_modelSteps / _tasks, (double)_toolSteps / _tasks,
            _stepTime > 0 ? _toolTime / _stepTime : null, _energy > 0 ? _toolEnergy / _energy : null)
        {
            MeanSteps = (double)(_modelSteps + _toolSteps) / _tasks,
            MeanEnergyPerTaskJ = _withEnergy == _tasks ? _taskEnergy / _tasks : null,
            Accuracy = intelligence.Accuracy,
            IntelligencePerJoule = intelligence.PerJoule,
        };
    }
}
