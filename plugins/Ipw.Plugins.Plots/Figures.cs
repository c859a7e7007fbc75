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

    /// <summary>Writes the figure as PNG or SVG; an SVG carries <paramref name="hover"/>'s titles over its points.</summary>
    public static string Save(Plot plot, AnalysisContext context, string name, HoverLayer? hover = null) =>
        context.Output.Write($"{name}.{context.Format}", context.Format == "svg"
            ? System.Text.Encoding.UTF8.GetBytes(hover is null ? plot.GetSvgXml(Width, Height) : hover.Apply(plot, plot.GetSvgXml(Width, Height)))
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

    /// <summary>A value in its unit scaled to read easily: 0.0001822 s is "0.182 ms", 0.0042 J "4.2 mJ".</summary>
    public static string Quantity(double value, string unit)
    {
        var abs = Math.Abs(value);
        if (abs >= 1000) return value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " " + unit;
        var (scale, prefix) = abs == 0 || abs >= 1 ? (1.0, "") : abs >= 1e-3 ? (1e3, "m") : abs >= 1e-6 ? (1e6, "µ") : (1e9, "n");
        return (value * scale).ToString("G3", System.Globalization.CultureInfo.InvariantCulture) + " " + prefix + unit;
    }

    /// <summary>A histogram of each run's values over their common range: bars for one run, step outlines for several.
    /// Values that are <paramref name="integers"/> spanning 40 or fewer get a bin each, centred on it; others 40 bins.</summary>
    public static void Histogram(Plot plot, IReadOnlyList<IRunView> runs, IReadOnlyList<(int Run, double[] Values)> series, bool integers,
        HoverLayer hover, string unit)
    {
        var all = series.SelectMany(s => s.Values).ToArray();
        var (lo, hi) = (all.Min(), all.Max());
        var perValue = integers && hi - lo <= 40;
        var bins = perValue ? (int)(hi - lo) + 1 : 40;
        var width = perValue ? 1 : hi > lo ? (hi - lo) / 40 : 1;
        var start = perValue ? lo - 0.5 : lo;
        var centres = Enumerable.Range(0, bins).Select(k => start + (k + 0.5) * width).ToArray();
        foreach (var (r, values) in series)
        {
            var counts = new double[bins];
            foreach (var v in values) counts[Math.Clamp((int)((v - start) / width), 0, bins - 1)]++;
            for (var k = 0; k < bins; k++)
                if (counts[k] > 0)
                    hover.Add(centres[k], counts[k], $"{runs[r].Label}: {counts[k]:N0} quer{(counts[k] == 1 ? "y" : "ies")}, "
                        + (perValue ? $"{HoverLayer.N(centres[k])} {unit}" : $"{HoverLayer.N(start + k * width)}–{HoverLayer.N(start + (k + 1) * width)} {unit}"));
            if (series.Count == 1)
            {
                var bars = plot.Add.Bars(centres, counts);
                foreach (var bar in bars.Bars) { bar.Size = width * 0.95; bar.FillColor = ColorOf(r); }
                bars.LegendText = Legend(runs[r], values.Length);
            }
            else
            {
                var step = plot.Add.ScatterLine(centres, counts);
                step.ConnectStyle = ConnectStyle.StepHorizontal;
                step.Color = ColorOf(r);
                step.LineWidth = 2;
                step.LegendText = Legend(runs[r], values.Length);
            }
        }
        // A few values side by side: room either side, so one bar is not the whole frame.
        if (perValue) plot.Axes.SetLimitsX(lo - Math.Max(3, (hi - lo) * 0.1), hi + Math.Max(3, (hi - lo) * 0.1));
        plot.Axes.SetLimitsY(0, Math.Max(1, series.Max(s => s.Values.GroupBy(v => Math.Clamp((int)((v - start) / width), 0, bins - 1)).Max(g => g.Count()))) * 1.1);
        plot.ShowLegend(Alignment.UpperRight);
    }

    /// <summary>Draws <paramref name="plot"/>'s x axis on a log scale (the data already given as log10 of the values),
    /// labelled in the values themselves, with log-spaced minor ticks.</summary>
    public static void LogX(Plot plot, Func<double, string> label)
    {
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => label(Math.Pow(10, v)),
        };
    }

    /// <summary>A run's label as a file name's part.</summary>
    public static string Slug(string label) => string.Concat(label.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-'));
}

/// <summary>Registers the built-in figures.</summary>
public sealed class PlotsPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddVisualization(new VisualizationDescriptor("regression",
            "scatter with the fitted line: energy vs total tokens, latency and TTFT vs input tokens, power vs tokens (ScottPlot)", () => new RegressionFigures()));
        registry.AddVisualization(new VisualizationDescriptor("distributions",
            "output lengths (a KDE, or a histogram when they take few values), TTFT and end-to-end latency CDFs (log axis past 10×), and a histogram of energy per query", () => new DistributionFigures()));
        registry.AddVisualization(new VisualizationDescriptor("timeline",
            "each device's power and energy over the run (telemetry.arrow) with the query spans shaded", () => new TimelineFigure()));
        registry.AddVisualization(new VisualizationDescriptor("steps",
            "an agent's task step by step (--agent runs): each model and tool call's span with its share of the energy, and the power under them", () => new StepsFigure()));
        registry.AddVisualization(new VisualizationDescriptor("frontier",
            "several runs: accuracy against energy per query and against latency, labelled, with the Pareto frontier", () => new FrontierFigure()));
    }
}
