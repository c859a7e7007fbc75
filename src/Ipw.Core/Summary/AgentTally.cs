using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>Tallies the tasks an agent answered (<c>--agent</c>): steps, and the time and energy spent in tools.</summary>
internal sealed class AgentTally
{
    private int _tasks;
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
        if (r.EnergyJ is not { } energy || r.Get(RecordColumns.StepEnergyShare) is not { } shares || r.Get(RecordColumns.StepKinds) is not { } kinds) return;
        var kind = kinds.Split(',');
        _energy += energy;
        for (var i = 0; i < shares.Count && i < kind.Length; i++)
            if (kind[i] != "model") _toolEnergy += energy * shares[i];
    }

    public AgentSection? ToSection() => _tasks == 0 ? null : new AgentSection(_tasks, (double)_modelSteps / _tasks, (double)_toolSteps / _tasks,
        _stepTime > 0 ? _toolTime / _stepTime : null, _energy > 0 ? _toolEnergy / _energy : null);
}
