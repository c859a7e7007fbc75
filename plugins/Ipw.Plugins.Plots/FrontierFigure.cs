using Ipw.Abstractions;

namespace Ipw.Plugins.Plots;

/// <summary>
/// <c>frontier</c>: several runs as points of accuracy against mean energy per graded query, and against mean
/// end-to-end latency, each labelled with its run, and the Pareto frontier through the runs on it
/// (<see cref="RunPoint"/> and <see cref="Statistics.ParetoFrontier"/>, as the frontier analysis places them). A run
/// that lacks the measure is left off that figure and named in a note.
/// </summary>
internal sealed class FrontierFigure : IVisualization
{
    public Task<VisualizationResult> RenderAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        if (context.Runs.Count < 2)
            return Task.FromResult(new VisualizationResult([], ["frontier: a frontier needs several runs (ipw plot RUN RUN ...); figure skipped"]));
        var points = context.Runs.Select(RunPoint.Of).ToList();
        var files = new List<string>();
        foreach (var (name, title, xLabel, cost) in new (string, string, string, Func<RunPoint, double>)[]
        {
            ("frontier_energy", "Accuracy vs energy per query", "mean energy per graded query (J)", p => p.MeanEnergyJ),
            ("frontier_latency", "Accuracy vs latency", "mean end-to-end latency per graded query (s)", p => p.MeanE2eS),
        })
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shown = points.Where(p => !double.IsNaN(cost(p)) && !double.IsNaN(p.Accuracy)).ToList();
            notes.AddRange(points.Except(shown).Select(p => $"{name}: {p.Label} has no accuracy or no {xLabel}; not drawn"));
            if (shown.Count < 2)
            {
                notes.Add($"{name}: fewer than two runs have both accuracy and {xLabel}; figure skipped");
                continue;
            }
            var on = Statistics.ParetoFrontier(shown.Select(p => (cost(p), p.Accuracy)).ToList());
            var plot = Figure.New(title, xLabel, "accuracy (%)");
            var hover = new HoverLayer();
            for (var i = 0; i < shown.Count; i++)
            {
                hover.Add(cost(shown[i]), shown[i].Accuracy * 100, $"{shown[i].Label}: accuracy {shown[i].Accuracy * 100:0.#} %, "
                    + $"{Figure.Quantity(cost(shown[i]), name == "frontier_energy" ? "J" : "s")} per graded query{(on[i] ? ", on the frontier" : "")}");
                var marker = plot.Add.Marker(cost(shown[i]), shown[i].Accuracy * 100);
                marker.Color = Figure.ColorOf(i);
                marker.Size = on[i] ? 12 : 8;
                var label = plot.Add.Text(shown[i].Label, cost(shown[i]), shown[i].Accuracy * 100);
                label.LabelFontSize = 11;
                label.LabelOffsetX = 6;
            }
            var frontier = shown.Where((_, i) => on[i]).OrderBy(cost).ToList();
            if (frontier.Count >= 2)
            {
                var line = plot.Add.ScatterLine(frontier.Select(cost).ToArray(), frontier.Select(p => p.Accuracy * 100).ToArray());
                line.LineWidth = 2;
                line.LegendText = "Pareto frontier";
            }
            // Room around the points for their labels: a point on the frame's edge hides its marker and its name.
            var (lo, hi) = (shown.Min(cost), shown.Max(cost));
            var pad = hi > lo ? hi - lo : Math.Max(Math.Abs(hi), 1e-9);
            plot.Axes.SetLimitsX(lo - 0.1 * pad, hi + 0.3 * pad);
            plot.Axes.SetLimitsY(-5, 105);
            plot.ShowLegend(ScottPlot.Alignment.LowerRight);
            files.Add(Figure.Save(plot, context, name, hover));
        }
        return Task.FromResult(new VisualizationResult(files, notes));
    }
}
