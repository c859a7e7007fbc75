using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Analysis;
using Ipw.Core.Profiling;

namespace Ipw.Tui;

/// <summary>
/// An agent run's steps replayed from its records (<c>step_kinds</c>, <c>step_started_at_s</c>, <c>step_durations_s</c>)
/// on the replay's clock: each step starts and ends, and each task completes, when it did in the run, so the monitor's
/// steps line shows a replay as it showed the run live.
/// </summary>
internal sealed class ReplaySteps
{
    private readonly List<(double T, AgentStepEvent? Step, (long Index, string Status, double? E2eS)? End)> _events = [];
    private int _next;

    public static ReplaySteps Read(RunView view)
    {
        var replay = new ReplaySteps();
        string[] needed = [RecordColumns.StepKinds.Name, RecordColumns.StepStartedAtS.Name, RecordColumns.StepDurationsS.Name];
        if (!needed.All(view.Columns.Contains)) return replay;
        var kinds = view.Texts(RecordColumns.StepKinds.Name);
        var starts = view.NumberLists(RecordColumns.StepStartedAtS.Name);
        var durations = view.NumberLists(RecordColumns.StepDurationsS.Name);
        var items = view.Texts(RecordColumns.ItemId.Name);
        var index = view.Numbers(RecordColumns.QueryIndex.Name);
        var completed = view.Numbers(RecordColumns.CompletedAtS.Name);
        var e2e = view.Numbers(RecordColumns.E2eLatencyS.Name);
        var status = view.Texts(RecordColumns.Status.Name);
        for (var i = 0; i < kinds.Count; i++)
        {
            if (kinds[i] is not { } k || starts[i] is not { } s || durations[i] is not { } d) continue;
            var kind = k.Split(',');
            var q = (int)index[i];
            for (var j = 0; j < kind.Length && j < s.Length && j < d.Length; j++)
            {
                replay._events.Add((s[j], new AgentStepEvent(q, items[i] ?? "", j + 1, kind[j], 0, null), null));
                replay._events.Add((s[j] + d[j], new AgentStepEvent(q, items[i] ?? "", j + 1, kind[j], 0, d[j]), null));
            }
            if (!double.IsNaN(completed[i]))
                replay._events.Add((completed[i], null, (q, status[i] ?? "ok", double.IsNaN(e2e[i]) ? null : e2e[i])));
        }
        replay._events.Sort((a, b) => a.T.CompareTo(b.T));
        return replay;
    }

    /// <summary>Hands <paramref name="steps"/> what happened up to <paramref name="nowS"/> on the run's clock.</summary>
    public void Advance(double nowS, MonitorSteps steps)
    {
        for (; _next < _events.Count && _events[_next].T <= nowS; _next++)
        {
            var (_, step, end) = _events[_next];
            if (step is not null) steps.Step(step with { StartedAt = Stopwatch.GetTimestamp() });
            else if (end is { } e) steps.Completed(e.Index, e.Status, e.E2eS);
        }
    }
}
