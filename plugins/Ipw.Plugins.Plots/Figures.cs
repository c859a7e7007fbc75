using Ipw.Abstractions;
using MathNet.Numerics;
using MathNet.Numerics.Statistics;
using ScottPlot;

namespace Ipw.Plugins.Plots;

/// <summary>What every figure shares: the typeface, size, colours per run, and saving as PNG or SVG.</summary>
internal static class Figure
{
    public const int Width = 1000, Height = 620;

    /// <summary>Scatter plots draw at most this many points per run (a seeded sample); fits use every point.</summary>
    public const int MaxPoints = 20_000;

    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    public static Color ColorOf(int run) => Palette.GetColor(run);

    public static Plot New(string title, string x, string y)
    {
        Typeface.Ensure();
        var plot = new Plot();
        plot.Font.Set(Typeface.Family);
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    public static string Save(Plot plot, AnalysisContext context, string name) =>
        context.Output.Write($"{name}.{context.Format}", context.Format == "svg"
            ? System.Text.Encoding.UTF8.GetBytes(plot.GetSvgXml(Width, Height))
            : plot.GetImageBytes(Width, Height, ImageFormat.Png));

    public static double[]? Column(IRunView run, string column) => run.Columns.Contains(column) ? run.Numbers(column) : null;

    /// <summary>Indices of rows where every column is present.</summary>
    public static int[] Present(params double[][] columns)
    {
        var rows = new List<int>(columns[0].Length);
        for (var i = 0; i < columns[0].Length; i++)
            if (columns.All(c => !double.IsNaN(c[i]))) rows.Add(i);
        return [.. rows];
    }

    /// <summary>At most <paramref name="max"/> of the indices, a seeded sample kept in order.</summary>
    public static int[] Thin(int[] rows, int max)
    {
        if (rows.Length <= max) return rows;
        var chosen = rows.ToArray();
        new Random(17).Shuffle(chosen);
        var sample = chosen[..max];
        Array.Sort(sample);
        return sample;
    }

    public static string Legend(IRunView run, int n) => $"{run.Label} (n={n:N0})";

    /// <summary>A run's label as a file name's part.</summary>
    public static string Slug(string label) => string.Concat(label.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-'));
}

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
                var fx = rows.Select(i => x[i]).ToArray();
                var fy = rows.Select(i => yCol[i]).ToArray();
                if (fx.Distinct().Take(2).Count() == 2)
                {
                    var (intercept, slope) = Fit.Line(fx, fy);
                    var (lo, hi) = (fx.Min(), fx.Max());
                    var line = plot.Add.Line(lo, intercept + slope * lo, hi, intercept + slope * hi);
                    line.Color = color;
                    line.LineWidth = 2.5f;
                    line.LegendText = $"fit: {slope:G4} per token, R² {GoodnessOfFit.RSquared(fx.Select(v => intercept + slope * v), fy):F3}";
                }
                drawn++;
            }
            if (drawn == 0)
            {
                notes.Add($"{name}: no run has {y} with {string.Join(" + ", xs)}; figure skipped");
                continue;
            }
            plot.ShowLegend(Alignment.UpperLeft);
            files.Add(Figure.Save(plot, context, "regression_" + name));
        }
        return Task.FromResult(new VisualizationResult(files, notes));
    }
}

/// <summary><c>distributions</c>: a Gaussian KDE of output lengths, latency CDFs (TTFT and end-to-end) and a histogram
/// of energy per query, one colour per run.</summary>
internal sealed class DistributionFigures : IVisualization
{
    private const int KdeSample = 50_000;

    public Task<VisualizationResult> RenderAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        var notes = new List<string>();

        // Output lengths: KDE (Silverman's bandwidth) on at most 50,000 values per run.
        var kde = Figure.New("Output length (kernel density)", "output tokens", "density");
        var any = false;
        for (var r = 0; r < context.Runs.Count; r++)
        {
            var run = context.Runs[r];
            if (Figure.Column(run, RecordColumns.OutputTokens.Name) is not { } column) continue;
            var values = column.Where(v => !double.IsNaN(v)).ToArray();
            if (values.Length < 2) { notes.Add($"output_kde: {run.Label} has {values.Length} output lengths; not drawn"); continue; }
            var sample = values.Length > KdeSample ? Figure.Thin(Enumerable.Range(0, values.Length).ToArray(), KdeSample).Select(i => values[i]).ToArray() : values;
            if (sample.Length < values.Length) notes.Add($"output_kde: {run.Label}: density from {sample.Length:N0} of {values.Length:N0} values (a seeded sample)");
            var sd = sample.StandardDeviation();
            if (!(sd > 0)) notes.Add($"output_kde: {run.Label}: every output is {sample[0]:G} tokens long; the density is one kernel of width 1");
            var (lo, hi) = (sample.Min(), sample.Max());
            var bandwidth = sd > 0 ? 1.06 * sd * Math.Pow(sample.Length, -0.2) : 1;
            var xs = Enumerable.Range(0, 200).Select(k => lo - 3 * bandwidth + k * (hi - lo + 6 * bandwidth) / 199).ToArray();
            var ys = xs.Select(x => MathNet.Numerics.Statistics.KernelDensity.EstimateGaussian(x, bandwidth, sample)).ToArray();
            var line = kde.Add.ScatterLine(xs, ys);
            line.Color = Figure.ColorOf(r);
            line.LineWidth = 2;
            line.LegendText = Figure.Legend(run, values.Length);
            any = true;
        }
        if (any)
        {
            kde.ShowLegend(Alignment.UpperRight);
            files.Add(Figure.Save(kde, context, "output_kde"));
        }
        else notes.Add("output_kde: no output lengths; figure skipped");

        // Latency CDFs: TTFT dashed, end-to-end solid.
        var cdf = Figure.New("Latency CDF", "seconds", "fraction of queries");
        any = false;
        for (var r = 0; r < context.Runs.Count; r++)
        {
            var run = context.Runs[r];
            foreach (var (column, label, dashed) in new[] { (RecordColumns.TtftS.Name, "TTFT", true), (RecordColumns.E2eLatencyS.Name, "end-to-end", false) })
            {
                if (Figure.Column(run, column) is not { } values) continue;
                var sorted = values.Where(v => !double.IsNaN(v)).ToArray();
                if (sorted.Length == 0) { notes.Add($"latency_cdf: {run.Label} has no {column}"); continue; }
                Array.Sort(sorted);
                var qs = Enumerable.Range(0, 201).Select(k => k / 200.0).ToArray();
                var xs = qs.Select(q => Ipw.Abstractions.Statistics.Percentile(sorted, q * 100)).ToArray();
                var line = cdf.Add.ScatterLine(xs, qs);
                line.Color = Figure.ColorOf(r);
                line.LineWidth = 2;
                if (dashed) line.LinePattern = LinePattern.Dashed;
                line.LegendText = $"{run.Label}: {label}";
                any = true;
            }
        }
        if (any)
        {
            cdf.ShowLegend(Alignment.LowerRight);
            files.Add(Figure.Save(cdf, context, "latency_cdf"));
        }
        else notes.Add("latency_cdf: no latencies; figure skipped");

        // Energy per query: a 40-bin histogram over the runs' common range, as bars for one run, outlines for several.
        var energies = context.Runs.Select(run => Figure.Column(run, RecordColumns.EnergyJ.Name)?.Where(v => !double.IsNaN(v)).ToArray() ?? []).ToList();
        for (var r = 0; r < context.Runs.Count; r++)
            if (energies[r].Length == 0) notes.Add($"energy_histogram: {context.Runs[r].Label} has no energy per query (see its energy_missing_reason)");
        if (energies.Any(e => e.Length > 0))
        {
            var all = energies.SelectMany(e => e).ToArray();
            var (lo, hi) = (all.Min(), all.Max());
            var width = hi > lo ? (hi - lo) / 40 : 1;
            var hist = Figure.New("Energy per query", "energy (J)", "queries");
            for (var r = 0; r < context.Runs.Count; r++)
            {
                if (energies[r].Length == 0) continue;
                var counts = new double[40];
                foreach (var v in energies[r]) counts[Math.Min(39, (int)((v - lo) / width))]++;
                var centres = Enumerable.Range(0, 40).Select(k => lo + (k + 0.5) * width).ToArray();
                if (context.Runs.Count == 1)
                {
                    var bars = hist.Add.Bars(centres, counts);
                    foreach (var bar in bars.Bars) { bar.Size = width * 0.95; bar.FillColor = Figure.ColorOf(r); }
                    bars.LegendText = Figure.Legend(context.Runs[r], energies[r].Length);
                }
                else
                {
                    var step = hist.Add.ScatterLine(centres, counts);
                    step.ConnectStyle = ConnectStyle.StepHorizontal;
                    step.Color = Figure.ColorOf(r);
                    step.LineWidth = 2;
                    step.LegendText = Figure.Legend(context.Runs[r], energies[r].Length);
                }
            }
            hist.ShowLegend(Alignment.UpperRight);
            files.Add(Figure.Save(hist, context, "energy_histogram"));
        }
        else notes.Add("energy_histogram: no run has energy per query; figure skipped");
        return Task.FromResult(new VisualizationResult(files, notes));
    }
}

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

/// <summary>Registers the built-in figures.</summary>
public sealed class PlotsPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddVisualization(new VisualizationDescriptor("regression",
            "scatter with the fitted line: energy vs total tokens, latency and TTFT vs input tokens, power vs tokens (ScottPlot)", () => new RegressionFigures()));
        registry.AddVisualization(new VisualizationDescriptor("distributions",
            "a KDE of output lengths, TTFT and end-to-end latency CDFs, and a histogram of energy per query", () => new DistributionFigures()));
        registry.AddVisualization(new VisualizationDescriptor("timeline",
            "each device's power and energy over the run (telemetry.arrow) with the query spans shaded", () => new TimelineFigure()));
        registry.AddVisualization(new VisualizationDescriptor("steps",
            "an agent's task step by step (--agent runs): each model and tool call's span with its share of the energy, and the power under them", () => new StepsFigure()));
        registry.AddVisualization(new VisualizationDescriptor("frontier",
            "several runs: accuracy against energy per query and against latency, labelled, with the Pareto frontier", () => new FrontierFigure()));
    }
}
