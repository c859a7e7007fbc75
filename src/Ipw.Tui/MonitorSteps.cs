using System.Diagnostics;
using System.Globalization;
using Ipw.Core.Profiling;

namespace Ipw.Tui;

/// <summary>
/// The steps of the agent task the monitor follows (<c>--agent</c>), live: the task most recently started, followed
/// until it ends, its model and tool calls in order with their durations, the one running with the time so far. Fed
/// from the tasks' threads (<see cref="Step"/>) and the pipeline's (<see cref="Completed"/>); read by the screen.
/// </summary>
public sealed class MonitorSteps
{
    private readonly Lock _lock = new();
    private readonly List<(string Kind, long Start, double? DurationS)> _steps = [];
    private int? _task;
    private string _item = "";
    private long _taskStart;
    private double? _taskS;
    private string? _status;

    /// <summary>How much faster than real time the steps come (a replay's speed): the running times shown are scaled by it.</summary>
    public double Speed { get; set; } = 1;

    /// <summary>Whether any agent step has been seen (the screen gives the line room only then).</summary>
    public bool Any { get { lock (_lock) return _task is not null; } }

    public void Step(AgentStepEvent e)
    {
        lock (_lock)
        {
            // Another task's step: follow it only once the one followed has ended.
            if (_task != e.QueryIndex)
            {
                if (_task is not null && _status is null) return;
                _task = e.QueryIndex;
                _item = e.ItemId;
                _taskStart = e.StartedAt;
                _taskS = null;
                _status = null;
                _steps.Clear();
            }
            var i = e.Step - 1;
            while (_steps.Count <= i) _steps.Add(("", e.StartedAt, null));
            _steps[i] = (e.Kind, e.StartedAt, e.DurationS);
        }
    }

    /// <summary>A task's record was written: if it is the one followed, it has ended.</summary>
    public void Completed(long queryIndex, string status, double? e2eS)
    {
        lock (_lock)
        {
            if (_task != queryIndex) return;
            _status = status;
            _taskS = e2eS;
        }
    }

    /// <summary>One line: the task, how long it has run, and its steps, the latest kept where the width runs out.</summary>
    public string? Line(int width)
    {
        lock (_lock)
        {
            if (_task is null) return null;
            var now = Stopwatch.GetTimestamp();
            var head = _status is null
                ? $"steps of {_item} (running {Seconds(Stopwatch.GetElapsedTime(_taskStart, now).TotalSeconds * Speed)}): "
                : $"steps of {_item} ({_status}, {Seconds(_taskS)}): ";
            var parts = _steps.Select(s => (s.Kind.StartsWith("tool:", StringComparison.Ordinal) ? s.Kind[5..] : s.Kind) + " "
                + (s.DurationS is { } d ? Seconds(d) : Seconds(Stopwatch.GetElapsedTime(s.Start, now).TotalSeconds * Speed) + "…")).ToList();
            var shown = string.Join(" › ", parts);
            var dropped = 0;
            while (head.Length + shown.Length > width && dropped < parts.Count - 1)
                shown = "… › " + string.Join(" › ", parts.Skip(++dropped));
            return head + shown;
        }
    }

    private static string Seconds(double? s) => s switch
    {
        null => "—",
        < 1 => (s.Value * 1000).ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => s.Value.ToString("0.00", CultureInfo.InvariantCulture) + " s",
    };
}
