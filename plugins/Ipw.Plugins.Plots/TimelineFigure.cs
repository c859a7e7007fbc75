using Ipw.Abstractions;
using MathNet.Numerics;
using MathNet.Numerics.Statistics;
using ScottPlot;

namespace Ipw.Plugins.Plots;

/// <summary><c>timeline</c>: each device's power over the run from telemetry.arrow (left axis) and its energy counter
/// from zero (right axis, dashed), with the queries' spans shaded (the first 400), one figure per run.</summary>
internal sealed class TimelineFigure : IVisualization
{
    private const int MaxSpans = 400;

    public Task<VisualizationResult> RenderAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        var notes = new List<string>();
        foreach (var run in context.Runs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var power = run.Telemetry().Where(s => s.Unit == "W" || s.Metric.EndsWith("_power_w", StringComparison.Ordinal)).ToList();
            if (power.Count == 0)
            {
                notes.Add($"timeline: {run.Label} recorded no power (telemetry.arrow has no W series); figure skipped");
                continue;
            }
            var plot = Figure.New($"Power and energy over the run: {run.Label}", "seconds since the run started", "power (W)");
            if (Figure.Column(run, RecordColumns.SentAtS.Name) is { } sent && Figure.Column(run, RecordColumns.CompletedAtS.Name) is { } done)
            {
                var spans = Figure.Present(sent, done);
                foreach (var i in spans.Take(MaxSpans))
                {
                    var span = plot.Add.HorizontalSpan(sent[i], done[i]);
                    span.FillStyle.Color = Colors.Gray.WithAlpha(0.12);
                    span.LineStyle.Width = 0;
                }
                if (spans.Length > MaxSpans) notes.Add($"timeline: {run.Label}: the first {MaxSpans} of {spans.Length:N0} query spans are shaded");
            }
            for (var k = 0; k < power.Count; k++)
            {
                var s = power[k];
                var line = plot.Add.ScatterLine(s.TimesS, s.Values);
                line.Color = Figure.ColorOf(k);
                line.LineWidth = 1.5f;
                line.LegendText = s.Metric;
            }
            // Energy counters, from zero at the run's start, on the right axis.
            var energy = run.Telemetry().Where(s => s.Unit == "J" && s.Values.Length > 1).ToList();
            for (var k = 0; k < energy.Count; k++)
            {
                var s = energy[k];
                var first = s.Values[0];
                var line = plot.Add.ScatterLine(s.TimesS, s.Values.Select(v => v - first).ToArray());
                line.Color = Figure.ColorOf(power.Count + k);
                line.LineWidth = 1.5f;
                line.LinePattern = LinePattern.Dashed;
                line.LegendText = s.Metric + " (since the start)";
                line.Axes.YAxis = plot.Axes.Right;
            }
            if (energy.Count > 0) plot.Axes.Right.Label.Text = "energy since the run started (J)";
            plot.ShowLegend(Alignment.UpperRight);
            files.Add(Figure.Save(plot, context, "timeline_" + Figure.Slug(run.Label)));
        }
        return Task.FromResult(new VisualizationResult(files, notes));
    }

}
