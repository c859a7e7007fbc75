using Ipw.Abstractions;
using MathNet.Numerics;
using MathNet.Numerics.Statistics;
using ScottPlot;

namespace Ipw.Plugins.Plots;

/// <summary><c>distributions</c>: output lengths (a Gaussian KDE when every run's lengths spread over many values, else a
/// histogram: a bandwidth would invent a spread that is not there), latency CDFs (TTFT and end-to-end; a log axis when
/// they span more than ten times) and a histogram of energy per query, one colour per run.</summary>
internal sealed class DistributionFigures : IVisualization
{
    private const int KdeSample = 50_000;

    /// <summary>Fewer distinct output lengths than this in any run draw a histogram instead of a density.</summary>
    internal const int KdeMinDistinct = 30;

    public Task<VisualizationResult> RenderAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        var notes = new List<string>();

        var lengths = new List<(int Run, double[] Values)>();
        for (var r = 0; r < context.Runs.Count; r++)
        {
            var run = context.Runs[r];
            if (Figure.Column(run, RecordColumns.OutputTokens.Name) is not { } column) continue;
            var values = column.Where(v => !double.IsNaN(v)).ToArray();
            if (values.Length < 2) { notes.Add($"output_length: {run.Label} has {values.Length} output lengths; not drawn"); continue; }
            lengths.Add((r, values));
        }
        if (lengths.Count == 0) notes.Add("output_length: no output lengths; figure skipped");
        else if (lengths.All(l => l.Values.Distinct().Take(KdeMinDistinct).Count() == KdeMinDistinct))
            files.Add(Figure.Save(Density(context, lengths, notes), context, "output_length"));
        else
        {
            var few = lengths.Min(l => l.Values.Distinct().Count());
            var title = lengths.SelectMany(l => l.Values).Distinct().Count() == 1
                ? $"Output length: every output is {lengths[0].Values[0]:G} tokens (a density would invent a spread)"
                : $"Output length (histogram: {few} distinct value{(few == 1 ? "" : "s")} in a run, too few for a density)";
            var hist = Figure.New(title, "output tokens", "queries");
            var hover = new HoverLayer();
            Figure.Histogram(hist, context.Runs, lengths, integers: true, hover, "tokens");
            files.Add(Figure.Save(hist, context, "output_length", hover));
        }

        // Latency CDFs: TTFT dashed, end-to-end solid; on a log axis when the latencies span more than ten times.
        var curves = new List<(int Run, string Label, bool Dashed, double[] Xs)>();
        var qs = Enumerable.Range(0, 201).Select(k => k / 200.0).ToArray();
        for (var r = 0; r < context.Runs.Count; r++)
        {
            var run = context.Runs[r];
            foreach (var (column, label, dashed) in new[] { (RecordColumns.TtftS.Name, "TTFT", true), (RecordColumns.E2eLatencyS.Name, "end-to-end", false) })
            {
                if (Figure.Column(run, column) is not { } values) continue;
                var sorted = values.Where(v => !double.IsNaN(v)).ToArray();
                if (sorted.Length == 0) { notes.Add($"latency_cdf: {run.Label} has no {column}"); continue; }
                Array.Sort(sorted);
                curves.Add((r, $"{run.Label}: {label}", dashed, qs.Select(q => Ipw.Abstractions.Statistics.Percentile(sorted, q * 100)).ToArray()));
            }
        }
        if (curves.Count > 0)
        {
            var (lo, hi) = (curves.Min(c => c.Xs[0]), curves.Max(c => c.Xs[^1]));
            var log = lo > 0 && hi / lo > 10;
            var cdf = Figure.New(log ? "Latency CDF (log axis: the latencies span more than 10×)" : "Latency CDF", "seconds", "fraction of queries");
            var hover = new HoverLayer();
            foreach (var (r, label, dashed, xs) in curves)
            {
                // Every 5th percentile, and p99, named on hover.
                for (var k = 10; k <= 190; k += 10) hover.Add(log ? Math.Log10(xs[k]) : xs[k], qs[k], $"{label}: p{k / 2} = {Figure.Quantity(xs[k], "s")}");
                hover.Add(log ? Math.Log10(xs[198]) : xs[198], qs[198], $"{label}: p99 = {Figure.Quantity(xs[198], "s")}");
                var line = cdf.Add.ScatterLine(log ? xs.Select(Math.Log10).ToArray() : xs, qs);
                line.Color = Figure.ColorOf(r);
                line.LineWidth = 2;
                if (dashed) line.LinePattern = LinePattern.Dashed;
                line.LegendText = label;
            }
            if (log) Figure.LogX(cdf, v => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
            cdf.Axes.SetLimitsY(0, 1);
            cdf.ShowLegend(Alignment.LowerRight);
            files.Add(Figure.Save(cdf, context, "latency_cdf", hover));
        }
        else notes.Add("latency_cdf: no latencies; figure skipped");

        // Energy per query: a 40-bin histogram over the runs' common range, as bars for one run, outlines for several.
        var energies = context.Runs.Select(run => Figure.Column(run, RecordColumns.EnergyJ.Name)?.Where(v => !double.IsNaN(v)).ToArray() ?? []).ToList();
        for (var r = 0; r < context.Runs.Count; r++)
            if (energies[r].Length == 0) notes.Add($"energy_histogram: {context.Runs[r].Label} has no energy per query (see its energy_missing_reason)");
        if (energies.Any(e => e.Length > 0))
        {
            var hist = Figure.New("Energy per query", "energy (J)", "queries");
            var hover = new HoverLayer();
            Figure.Histogram(hist, context.Runs, [.. energies.Select((e, r) => (r, e)).Where(x => x.e.Length > 0)], integers: false, hover, "J");
            files.Add(Figure.Save(hist, context, "energy_histogram", hover));
        }
        else notes.Add("energy_histogram: no run has energy per query; figure skipped");
        return Task.FromResult(new VisualizationResult(files, notes));
    }

    /// <summary>A Gaussian KDE (Silverman's bandwidth) of each run's output lengths, on at most 50,000 values a run.</summary>
    private static Plot Density(AnalysisContext context, List<(int Run, double[] Values)> lengths, List<string> notes)
    {
        var kde = Figure.New("Output length (kernel density, Silverman's bandwidth)", "output tokens", "density");
        foreach (var (r, values) in lengths)
        {
            var run = context.Runs[r];
            var sample = values.Length > KdeSample ? Figure.Thin(Enumerable.Range(0, values.Length).ToArray(), KdeSample).Select(i => values[i]).ToArray() : values;
            if (sample.Length < values.Length) notes.Add($"output_length: {run.Label}: density from {sample.Length:N0} of {values.Length:N0} values (a seeded sample)");
            var sd = sample.StandardDeviation();
            var (lo, hi) = (sample.Min(), sample.Max());
            var bandwidth = 1.06 * sd * Math.Pow(sample.Length, -0.2);
            var xs = Enumerable.Range(0, 200).Select(k => lo - 3 * bandwidth + k * (hi - lo + 6 * bandwidth) / 199).ToArray();
            var ys = xs.Select(x => KernelDensity.EstimateGaussian(x, bandwidth, sample)).ToArray();
            var line = kde.Add.ScatterLine(xs, ys);
            line.Color = Figure.ColorOf(r);
            line.LineWidth = 2;
            line.LegendText = Figure.Legend(run, values.Length);
        }
        kde.ShowLegend(Alignment.UpperRight);
        return kde;
    }
}
