using System.Globalization;
using Ipw.Core.Summary;

namespace Ipw.Core.Runs;

/// <summary>
/// The block vLLM's <c>bench serve</c> prints at the end of a run, with vLLM's labels, units and layout, so the two can be
/// put side by side, followed by ipw's own figures (energy, and intelligence when the run was graded). Read from
/// summary.json, so the numbers are the file's. A figure not measured prints as n/a, never 0.
/// </summary>
public static class ServingReport
{
    private const int Width = 50;

    private static readonly (string Metric, string Name, string Header)[] Sections =
    [
        ("ttft", "TTFT", "Time to First Token"),
        ("tpot", "TPOT", "Time per Output Token (excl. 1st token)"),
        ("itl", "ITL", "Inter-token Latency"),
        ("e2el", "E2EL", "End-to-end Latency"),
    ];

    public static void Print(RunSummary summary, TextWriter output)
    {
        if (summary.Serving is not { } s) return;
        output.WriteLine(Center(" Serving Benchmark Result ", '='));
        Line(output, "Successful requests:", Whole(s.Completed));
        Line(output, "Failed requests:", Whole(s.Failed));
        if (s.MaxConcurrency is { } concurrency) Line(output, "Maximum request concurrency:", Whole(concurrency));
        if (s.RequestRate is { } rate && double.IsFinite(rate)) Line(output, "Request rate configured (RPS):", Fixed(rate));
        Line(output, "Benchmark duration (s):", Fixed(s.Duration));
        Line(output, "Total input tokens:", Whole(s.TotalInputTokens));
        Line(output, "Total generated tokens:", Whole(s.TotalOutputTokens));
        Line(output, "Request throughput (req/s):", Fixed(s.RequestThroughput));
        if (s.SloMs is not null) Line(output, "Request goodput (req/s):", Fixed(s.RequestGoodput));
        Line(output, "Output token throughput (tok/s):", Fixed(s.OutputThroughput));
        Line(output, "Total token throughput (tok/s):", Fixed(s.TotalTokenThroughput));
        foreach (var (metric, name, header) in Sections)
        {
            var (mean, median, _) = s.Figures(metric);
            output.WriteLine(Center(header, '-'));
            Line(output, $"Mean {name} (ms):", Fixed(mean));
            Line(output, $"Median {name} (ms):", Fixed(median));
            foreach (var p in s.Percentiles) Line(output, $"P{ServingSection.PercentWord(p)} {name} (ms):", Fixed(s.PercentileMs(metric, p)));
        }
        Ipw(summary, output);
        output.WriteLine(new string('=', Width));
    }

    /// <summary>ipw's own figures, after vLLM's: energy per request and per output token, mean power, the share of
    /// queries that met the objectives (with <c>--slo</c>), and accuracy with intelligence per joule and per watt when the
    /// run was graded.</summary>
    private static void Ipw(RunSummary summary, TextWriter output)
    {
        var energy = summary.Energy is { Available: true } e ? e : null;
        output.WriteLine(Center("Energy and Intelligence (ipw)", '-'));
        Line(output, "Energy per request (J):", Significant(energy?.PerQueryJ?.Mean));
        Line(output, "Energy per output token (J):", Significant(energy?.JPerOutputToken));
        Line(output, "Mean power (W):", Fixed(energy?.AvgPowerW));
        if (summary.Serving?.SloMs is not null) Line(output, "Requests meeting the SLO (%):", Fixed(summary.Serving.GoodFraction * 100));
        if (summary.Intelligence is { Graded: > 0 } i)
        {
            Line(output, "Accuracy (%):", Fixed(i.Accuracy * 100));
            Line(output, "Intelligence per joule (1/J):", Significant(i.IntelligencePerJoule));
            Line(output, "Intelligence per watt (1/W):", Significant(i.IntelligencePerWatt));
        }
        if (summary.Totals?.Cost is { } cost)
        {
            Line(output, "Cost per request (USD):", Significant(cost.MeanUsdPerQuery));
            Line(output, "CO2e per request (g):", Significant(cost.MeanCo2eGPerQuery));
        }
    }

    /// <summary>vLLM's <c>"{:&lt;40} {:&lt;10}"</c>, without the trailing blanks.</summary>
    private static void Line(TextWriter output, string label, string value) => output.WriteLine($"{label,-40} {value}".TrimEnd());

    /// <summary>Python's <c>"{s:{c}^{n}}"</c>: centred in <see cref="Width"/>, the odd fill character on the right.</summary>
    internal static string Center(string text, char fill)
    {
        var pad = Math.Max(0, Width - text.Length);
        return new string(fill, pad / 2) + text + new string(fill, pad - pad / 2);
    }

    private static string Fixed(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    private static string Whole(long? v) => v is { } x ? x.ToString(CultureInfo.InvariantCulture) : "n/a";

    private static string Significant(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("G4", CultureInfo.InvariantCulture) : "n/a";
}
