using Ipw.Abstractions;
using MathNet.Numerics;
using MathNet.Numerics.Statistics;
using ScottPlot;

namespace Ipw.Plugins.Plots;

/// <summary><c>regression</c>: scatter with the fitted OLS line for energy, latency, TTFT and power against tokens, one
/// colour per run.</summary>
internal sealed class RegressionFigures : IVisualization
{
    private static readonly (string Name, string Title, string[] X, string XLabel, string Y, string YLabel)[] Figures =
    [
        ("energy_vs_total_tokens", "Energy per query vs total tokens", [RecordColumns.InputTokens.Name, RecordColumns.OutputTokens.Name], "input + output tokens", RecordColumns.EnergyJ.Name, "energy (J)"),
        ("latency_vs_input_tokens", "End-to-end latency vs input tokens", [RecordColumns.InputTokens.Name], "input tokens", RecordColumns.E2eLatencyS.Name, "end-to-end latency (s)"),
        ("ttft_vs_input_tokens", "Time to first token vs input tokens", [RecordColumns.InputTokens.Name], "input tokens", RecordColumns.TtftS.Name, "TTFT (s)"),
        ("power_vs_total_tokens", "Mean power during the query vs total tokens", [RecordColumns.InputTokens.Name, RecordColumns.OutputTokens.Name], "input + output tokens", RecordColumns.AvgPowerW.Name, "mean power (W)"),
    ];

    public Task<VisualizationResult> RenderAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        var notes = new List<string>();
        foreach (var (name, title, xs, xLabel, y, yLabel) in Figures)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var plot = Figure.New(title, xLabel, yLabel);
            var hover = new HoverLayer();
            var drawn = 0;
            for (var r = 0; r < context.Runs.Count; r++)
            {
                var run = context.Runs[r];
                var xCols = xs.Select(c => Figure.Column(run, c)).ToList();
                var yCol = Figure.Column(run, y);
                if (xCols.Any(c => c is null) || yCol is null) continue;
                var x = xCols.Count == 1 ? xCols[0]! : xCols[0]!.Zip(xCols[1]!, (a, b) => a + b).ToArray();
                var rows = Figure.Present(x, yCol);
                if (rows.Length < 3)
                {
                    notes.Add($"{name}: {run.Label} has {rows.Length} rows with both {string.Join(" + ", xs)} and {y}; not drawn");
                    continue;
                }
                var shown = Figure.Thin(rows, Figure.MaxPoints);
                if (shown.Length < rows.Length) notes.Add($"{name}: {run.Label}: {shown.Length:N0} of {rows.Length:N0} points drawn (a seeded sample); the line fits all");
                var color = Figure.ColorOf(r);
                var points = plot.Add.ScatterPoints(shown.Select(i => x[i]).ToArray(), shown.Select(i => yCol[i]).ToArray());
                points.Color = color.WithAlpha(0.45);
                points.MarkerSize = 4;
                // A decimated scatter says so on the figure itself, not only in the notes.
                points.LegendText = shown.Length < rows.Length
                    ? $"{run.Label} (n={rows.Length:N0}; {shown.Length:N0} drawn, a seeded sample)"
                    : Figure.Legend(run, rows.Length);
                var ids = run.Columns.Contains(RecordColumns.ItemId.Name) ? run.Texts(RecordColumns.ItemId.Name) : null;
                foreach (var i in shown)
                    hover.Add(x[i], yCol[i], $"{run.Label}, {ids?[i] ?? $"row {i}"}: {x[i]:N0} tokens, {Figure.Quantity(yCol[i], UnitOf(yLabel))}");
                var fx = rows.Select(i => x[i]).ToArray();
                var fy = rows.Select(i => yCol[i]).ToArray();
                if (fx.Distinct().Take(2).Count() == 2) DrawFit(plot, fx, fy, color, UnitOf(yLabel));
                drawn++;
            }
            if (drawn == 0)
            {
                notes.Add($"{name}: no run has {y} with {string.Join(" + ", xs)}; figure skipped");
                continue;
            }
            plot.ShowLegend(Alignment.UpperLeft);
            files.Add(Figure.Save(plot, context, "regression_" + name, hover));
        }
        return Task.FromResult(new VisualizationResult(files, notes));
    }

    /// <summary>The unit in a y label's parentheses: "energy (J)" is J.</summary>
    private static string UnitOf(string label) => label[(label.LastIndexOf('(') + 1)..^1];

    /// <summary>The OLS line over the data's range with its 95 % confidence band for the mean (Student t, n − 2), its
    /// slope per token in a readable unit, R², and a negative intercept said as such: the line is a fit over the data,
    /// not what a query of no tokens costs.</summary>
    private static void DrawFit(Plot plot, double[] fx, double[] fy, Color color, string unit)
    {
        var (intercept, slope) = Fit.Line(fx, fy);
        var n = fx.Length;
        var mean = fx.Average();
        var sxx = fx.Sum(v => (v - mean) * (v - mean));
        var residual = Math.Sqrt(fx.Select((v, i) => Math.Pow(fy[i] - intercept - slope * v, 2)).Sum() / Math.Max(1, n - 2));
        var t = n > 2 ? MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, n - 2, 0.975) : double.NaN;
        var (lo, hi) = (fx.Min(), fx.Max());
        var xs = Enumerable.Range(0, 60).Select(k => lo + k * (hi - lo) / 59).ToArray();
        if (double.IsFinite(t) && residual > 0)
        {
            var half = xs.Select(x => t * residual * Math.Sqrt(1.0 / n + (x - mean) * (x - mean) / sxx)).ToArray();
            var band = plot.Add.FillY(xs, xs.Select((x, k) => intercept + slope * x - half[k]).ToArray(), xs.Select((x, k) => intercept + slope * x + half[k]).ToArray());
            band.FillColor = color.WithAlpha(0.18);
            band.LineWidth = 0;
            band.LegendText = "95 % band of the fit";
        }
        var line = plot.Add.Line(lo, intercept + slope * lo, hi, intercept + slope * hi);
        line.Color = color;
        line.LineWidth = 2.5f;
        var r2 = GoodnessOfFit.RSquared(fx.Select(v => intercept + slope * v), fy);
        line.LegendText = $"fit: {Figure.Quantity(slope, unit)} per token, R² {r2:F3}"
            + (intercept < 0 ? $"; intercept {Figure.Quantity(intercept, unit)}, below zero: a fit over the data, not a floor" : "");
    }
}
