using System.Globalization;
using Ipw.Abstractions;
using ScottPlot;

namespace Ipw.Plugins.Plots;

/// <summary>
/// <c>steps</c>: one task of an agent run (<c>--agent</c>), step by step: each model call and tool call shaded over its
/// span (a colour per kind, labelled at the top with its share of the task's energy), and each device's power from
/// telemetry.arrow drawn over them, on the task's own clock. The task shown is the median by time of the run's answered
/// tasks of two steps or more (say which in the title), one figure per run.
/// </summary>
internal sealed class StepsFigure : IVisualization
{
    /// <summary>Past this many steps the spans are drawn without their labels.</summary>
    private const int MaxLabels = 16;

    public Task<VisualizationResult> RenderAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        var notes = new List<string>();
        foreach (var run in context.Runs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Task(run) is not { } task)
            {
                notes.Add($"steps: {run.Label} has no agent steps (a run with --agent records them); figure skipped");
                continue;
            }
            var hover = new HoverLayer();
            files.Add(Figure.Save(Draw(run, task, notes, hover), context, "steps_" + Figure.Slug(run.Label), hover));
        }
        return System.Threading.Tasks.Task.FromResult(new VisualizationResult(files, notes));
    }

    private sealed record Shown(string Id, string[] Kinds, double[] Starts, double[] Durations, double[]? Shares, double? EnergyJ, double E2eS, int Of);

    /// <summary>The median task by end-to-end time among the answered ones of two steps or more (else among all with steps).</summary>
    private static Shown? Task(IRunView run)
    {
        string[] needed = [RecordColumns.StepKinds.Name, RecordColumns.StepStartedAtS.Name, RecordColumns.StepDurationsS.Name];
        if (!needed.All(run.Columns.Contains)) return null;
        var kinds = run.Texts(RecordColumns.StepKinds.Name);
        var starts = run.NumberLists(RecordColumns.StepStartedAtS.Name);
        var durations = run.NumberLists(RecordColumns.StepDurationsS.Name);
        var shares = run.Columns.Contains(RecordColumns.StepEnergyShare.Name) ? run.NumberLists(RecordColumns.StepEnergyShare.Name) : null;
        var status = run.Texts(RecordColumns.Status.Name);
        var e2e = run.Numbers(RecordColumns.E2eLatencyS.Name);
        var withSteps = Enumerable.Range(0, kinds.Count).Where(i => kinds[i] is not null && starts[i] is not null && durations[i] is not null).ToList();
        var answered = withSteps.Where(i => status[i] == "ok" && starts[i]!.Length >= 2 && !double.IsNaN(e2e[i])).ToList();
        var pool = answered.Count > 0 ? answered : withSteps;
        if (pool.Count == 0) return null;
        var ordered = pool.OrderBy(i => double.IsNaN(e2e[i]) ? double.MaxValue : e2e[i]).ToList();
        var row = ordered[(ordered.Count - 1) / 2];
        var energy = run.Columns.Contains(RecordColumns.EnergyJ.Name) ? run.Numbers(RecordColumns.EnergyJ.Name)[row] : double.NaN;
        return new Shown(run.Texts(RecordColumns.ItemId.Name)[row] ?? $"row {row}", kinds[row]!.Split(','), starts[row]!, durations[row]!, shares?[row],
            double.IsNaN(energy) ? null : energy, e2e[row], pool.Count);
    }

    /// <summary>Power inside the task's span: the sampled power series where the run has them; else each energy
    /// counter's power between successive readings (its energy step over the time between them, drawn as a staircase
    /// over the time between the two readings; marked <c>J</c>).</summary>
    private static List<TelemetrySeries> Power(IRunView run, double t0, double t1)
    {
        static TelemetrySeries? Inside(TelemetrySeries s, double t0, double t1, bool margin)
        {
            var rows = Enumerable.Range(0, s.TimesS.Length).Where(k => !double.IsNaN(s.Values[k])).ToList();
            var first = rows.FindLastIndex(k => s.TimesS[k] <= t0);
            var last = rows.FindIndex(k => s.TimesS[k] >= t1);
            // A counter's readings just outside the span bound its first and last steps.
            var kept = rows.Where((k, i) => (s.TimesS[k] >= t0 && s.TimesS[k] <= t1) || (margin && (i == first || i == last))).ToArray();
            return kept.Length == 0 ? null : s with { TimesS = kept.Select(k => s.TimesS[k]).ToArray(), Values = kept.Select(k => s.Values[k]).ToArray() };
        }
        var telemetry = run.Telemetry();
        var sampled = telemetry.Where(s => s.Unit == "W" || s.Metric.EndsWith("_power_w", StringComparison.Ordinal))
            .Select(s => Inside(s, t0, t1, false)).OfType<TelemetrySeries>().ToList();
        if (sampled.Count > 0) return sampled;
        var derived = new List<TelemetrySeries>();
        foreach (var s in telemetry.Where(s => s.Unit == "J").Select(s => Inside(s, t0, t1, true)).OfType<TelemetrySeries>())
        {
            var times = new List<double>();
            var watts = new List<double>();
            for (var k = 1; k < s.TimesS.Length; k++)
            {
                var dt = s.TimesS[k] - s.TimesS[k - 1];
                var de = s.Values[k] - s.Values[k - 1];
                if (dt < 1e-3 || de < 0) continue; // a reading too close to the last to say a power; a counter that wrapped
                // The interval's two ends (inside the span) at its power: a staircase.
                times.Add(Math.Max(s.TimesS[k - 1], t0));
                times.Add(Math.Min(s.TimesS[k], t1));
                watts.Add(de / dt);
                watts.Add(de / dt);
            }
            if (times.Count > 0) derived.Add(new TelemetrySeries(s.Metric, "J", [.. times], [.. watts]));
        }
        return derived;
    }

    private static Plot Draw(IRunView run, Shown task, List<string> notes, HoverLayer hover)
    {
        var t0 = task.Starts[0];
        var t1 = task.Starts.Zip(task.Durations, (s, d) => s + d).Max();
        var energy = task.EnergyJ is { } j ? $", {j.ToString("0.###", CultureInfo.InvariantCulture)} J" : ", energy not measured";
        var plot = Figure.New($"Task {task.Id}: {task.Kinds.Length} steps, {(t1 - t0).ToString("0.###", CultureInfo.InvariantCulture)} s{energy} "
            + $"(the median of {task.Of:N0} by time): {run.Label}", "seconds since the task's first step", "power (W)");
        var kinds = task.Kinds.Distinct().ToList();
        var labelled = new HashSet<string>();
        for (var i = 0; i < task.Kinds.Length; i++)
        {
            var span = plot.Add.HorizontalSpan(task.Starts[i] - t0, task.Starts[i] - t0 + task.Durations[i]);
            span.FillStyle.Color = Figure.ColorOf(kinds.IndexOf(task.Kinds[i])).WithAlpha(0.3);
            span.LineStyle.Width = 0;
            if (labelled.Add(task.Kinds[i])) span.LegendText = task.Kinds[i];
        }
        var power = Power(run, t0, t1);
        var highest = 0.0;
        var drawn = 0;
        foreach (var s in power)
        {
            var line = plot.Add.ScatterLine(s.TimesS.Select(t => t - t0).ToArray(), s.Values);
            line.Color = Figure.ColorOf(kinds.Count + drawn++);
            line.LineWidth = 2f;
            line.MarkerSize = s.Unit != "J" && s.Values.Length < 40 ? 5 : 0;
            line.LegendText = s.Unit == "J" ? $"{s.Metric}: power between readings (ΔE/Δt)" : s.Metric;
            highest = Math.Max(highest, s.Values.Max());
        }
        // The spans fill the height; the power's scale from 0 leaves a band at the top for the steps' shares.
        var top = highest > 0 ? highest * 1.2 : 1;
        plot.Axes.SetLimits(-(t1 - t0) * 0.02, (t1 - t0) * 1.02, 0, top);
        if (highest == 0)
        {
            notes.Add($"steps: {run.Label}: no power sample inside task {task.Id}'s span; the steps are drawn alone");
            plot.YLabel("no power recorded in the task's span");
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual();
        }
        for (var i = 0; i < task.Kinds.Length; i++)
            hover.Add(task.Starts[i] - t0 + task.Durations[i] / 2, top * 0.9, $"step {i + 1}, {task.Kinds[i]}: {Figure.Quantity(task.Durations[i], "s")}"
                + (task.Shares is { } sh ? $", {(sh[i] * 100).ToString("0.#", CultureInfo.InvariantCulture)} % of the task's energy" : ""));
        if (task.Shares is { } shares && task.Kinds.Length <= MaxLabels)
        {
            for (var i = 0; i < task.Kinds.Length; i++)
            {
                var label = plot.Add.Text((shares[i] * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %", task.Starts[i] - t0 + task.Durations[i] / 2, top * 0.97);
                label.LabelAlignment = Alignment.UpperCenter;
                label.LabelFontSize = 12;
            }
        }
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
