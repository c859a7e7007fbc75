using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis.Tests;

/// <summary>An in-memory run: the columns an analysis reads, nothing else.</summary>
internal sealed class MemoryRun(Dictionary<string, double[]> numbers, Dictionary<string, string?[]>? texts = null) : IRunView
{
    public string Directory => "memory";
    public string Label => "memory";
    public string SummaryJson => "{}";
    public long RecordCount => numbers.Values.First().Length;
    public IReadOnlyList<string> Columns => [.. numbers.Keys, .. (texts ?? []).Keys];
    public double[] Numbers(string column) => numbers[column];
    public IReadOnlyList<string?> Texts(string column) => texts![column];
    public IReadOnlyList<TelemetrySeries> Telemetry() => [];
}

public sealed class AnalysisTests : IDisposable
{
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("ipw-analysis-").FullName;

    [Fact]
    public void Ols_recovers_a_known_slope_within_its_confidence_interval()
    {
        // y = 3 + 0.25 x + noise (sd 2), x = 0..4999: the textbook estimates, computed here by hand, must agree.
        var rng = new Random(11);
        var n = 5000;
        var x = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var y = x.Select(v => 3 + 0.25 * v + 2 * Gaussian(rng)).ToArray();
        var fit = OlsFit.Of(x, y)!;

        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0;
        for (var i = 0; i < n; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); }
        var slope = sxy / sxx;
        var intercept = my - slope * mx;
        var ssr = x.Select((v, i) => Math.Pow(y[i] - intercept - slope * v, 2)).Sum();
        var sst = y.Select(v => Math.Pow(v - my, 2)).Sum();
        var se = Math.Sqrt(ssr / (n - 2) / sxx);

        Assert.Equal(slope, fit.Slope, 1e-10);
        Assert.Equal(intercept, fit.Intercept, 1e-8);
        Assert.Equal(1 - ssr / sst, fit.RSquared, 1e-10);
        Assert.Equal(se, fit.SlopeStdError, 1e-12);
        Assert.Equal(1.9604, (fit.SlopeHigh - fit.Slope) / se, 3); // t(0.975, 4998)
        Assert.InRange(0.25, fit.SlopeLow, fit.SlopeHigh);
        Assert.InRange(fit.Slope, 0.2495, 0.2505);
        Assert.Equal(n, fit.N);
        Assert.Null(OlsFit.Of([1, 1, 1], [1, 2, 3])); // x does not vary
        Assert.Null(OlsFit.Of([1, 2], [1, 2]));
    }

    [Fact]
    public void The_slope_interval_covers_the_true_slope_about_95_percent_of_the_time()
    {
        var rng = new Random(5);
        var covered = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var x = Enumerable.Range(0, 30).Select(_ => rng.NextDouble() * 10).ToArray();
            var y = x.Select(v => 1 - 0.7 * v + Gaussian(rng)).ToArray();
            var fit = OlsFit.Of(x, y)!;
            if (fit.SlopeLow <= -0.7 && -0.7 <= fit.SlopeHigh) covered++;
        }
        Assert.InRange(covered / 400.0, 0.92, 0.98);
    }

    [Fact]
    public async Task Regression_writes_each_fit_and_counts_what_it_left_out()
    {
        var n = 200;
        var input = Enumerable.Range(0, n).Select(i => 10.0 + i).ToArray();
        var output = Enumerable.Range(0, n).Select(i => 5.0 + i % 7).ToArray();
        var energy = input.Select((v, i) => i < 20 ? double.NaN : 0.5 + 0.01 * (v + output[i])).ToArray(); // 20 rows lack energy
        var ttft = input.Select(v => 0.002 * v).ToArray();
        ttft[3] = 0; // one zero: cannot be logged
        var run = new MemoryRun(new()
        {
            ["input_tokens"] = input,
            ["output_tokens"] = output,
            ["energy_j"] = energy,
            ["ttft_s"] = ttft,
            ["e2e_latency_s"] = input.Select(v => 0.01 + 0.003 * v).ToArray(),
        });
        var result = await new RegressionAnalysis().RunAsync(new AnalysisContext([run], new Ipw.Core.Runs.ArtifactFolder(_dir)), default);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "regression.json")));
        var fits = doc.RootElement.GetProperty("fits").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);

        var e = fits["energy_vs_total_tokens"];
        Assert.Equal(0.01, e.GetProperty("slope").GetDouble(), 1e-12);
        Assert.Equal(0.5, e.GetProperty("intercept").GetDouble(), 1e-9);
        Assert.Equal(1.0, e.GetProperty("r_squared").GetDouble(), 1e-12);
        Assert.Equal(180, e.GetProperty("n").GetInt32());
        Assert.Equal(20, e.GetProperty("missing").GetInt32());
        Assert.Equal(0.003, fits["latency_vs_input_tokens"].GetProperty("slope").GetDouble(), 1e-12);
        Assert.Equal(1, fits["log_ttft_vs_log_input_tokens"].GetProperty("non_positive").GetInt32());
        Assert.Equal(1.0, fits["log_ttft_vs_log_input_tokens"].GetProperty("slope").GetDouble(), 1e-9); // ttft ∝ input: elasticity 1
        Assert.Equal("the run has no such column", fits["power_vs_total_tokens"].GetProperty("reason").GetString());
        Assert.Contains(result.Warnings, w => w.StartsWith("energy_vs_total_tokens: 20 of 200 rows lack energy_j", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("log_ttft_vs_log_input_tokens: 1 rows with a zero", StringComparison.Ordinal));
        Assert.Equal(0.01, result.Headline["energy_per_token_j"]!.Value, 1e-12);
        Assert.Contains("energy_vs_total_tokens", result.Table);
    }

    [Fact]
    public async Task Efficiency_gives_accuracy_ipj_and_ipw_per_subject_and_never_computes_from_missing_energy()
    {
        // 10 math rows (6 right), 10 chat rows (ungraded); 4 J and 50 W each; 20 output tokens each.
        var correct = Enumerable.Range(0, 20).Select(i => i < 10 ? (i < 6 ? 1.0 : 0.0) : double.NaN).ToArray();
        var subjects = Enumerable.Range(0, 20).Select(i => (string?)(i < 10 ? "math" : "chat")).ToArray();
        MemoryRun Run(double[] energy) => new(new()
        {
            ["correct"] = correct,
            ["energy_j"] = energy,
            ["avg_power_w"] = energy.Select(e => double.IsNaN(e) ? e : 50).ToArray(),
            ["output_tokens"] = Enumerable.Repeat(20.0, 20).ToArray(),
            ["ttft_s"] = Enumerable.Range(1, 20).Select(i => i / 100.0).ToArray(),
        }, new() { ["subject"] = subjects });

        var result = await new EfficiencyAnalysis().RunAsync(new AnalysisContext([Run(Enumerable.Repeat(4.0, 20).ToArray())], new Ipw.Core.Runs.ArtifactFolder(_dir)), default);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "efficiency.json"))))
        {
            var overall = doc.RootElement.GetProperty("overall");
            Assert.Equal(0.6, overall.GetProperty("accuracy").GetDouble(), 12);
            Assert.Equal(0.6 / 4, overall.GetProperty("intelligence_per_joule").GetDouble(), 12);
            Assert.Equal(0.6 / 50, overall.GetProperty("intelligence_per_watt").GetDouble(), 12);
            Assert.Equal(5.0, overall.GetProperty("tokens_per_joule").GetDouble(), 12);
            Assert.Equal(0.105, overall.GetProperty("ttft").GetProperty("p50").GetDouble(), 12);
            var ci = overall.GetProperty("accuracy_ci95").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(0.3127, ci[0], 3); // Wilson, 6/10
            Assert.Equal(0.8318, ci[1], 3);
            var bySubject = doc.RootElement.GetProperty("by_subject");
            Assert.Equal(JsonValueKind.Null, bySubject.GetProperty("chat").GetProperty("accuracy").ValueKind);
            Assert.Equal(10, bySubject.GetProperty("chat").GetProperty("queries").GetInt32());
        }
        Assert.Equal(0.15, result.Headline["intelligence_per_joule"]!.Value, 12);

        // One graded row without energy: IPJ is not computed (never from a zero), and the warning says why.
        var energy = Enumerable.Repeat(4.0, 20).ToArray();
        energy[2] = double.NaN;
        var partial = await new EfficiencyAnalysis().RunAsync(new AnalysisContext([Run(energy)], new Ipw.Core.Runs.ArtifactFolder(_dir)), default);
        Assert.Null(partial.Headline["intelligence_per_joule"]);
        Assert.Contains("efficiency: 1 of 10 graded queries have no energy: intelligence per joule is not computed", partial.Warnings);
        Assert.Contains("efficiency: energy_j is missing in 1 of 20 rows", partial.Warnings);
    }

    [Fact]
    public async Task Latency_distributions_have_percentiles_a_histogram_and_a_cdf()
    {
        var ttft = Enumerable.Range(1, 1000).Select(i => i / 1000.0).ToArray();
        var run = new MemoryRun(new() { ["ttft_s"] = ttft });
        await new LatencyAnalysis().RunAsync(new AnalysisContext([run], new Ipw.Core.Runs.ArtifactFolder(_dir)), default);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "latency.json")));
        var m = doc.RootElement.GetProperty("metrics").GetProperty("ttft_s");
        Assert.Equal(0.5005, m.GetProperty("p50").GetDouble(), 9);
        Assert.Equal(0.99001, m.GetProperty("p99").GetDouble(), 9);
        Assert.Equal(Enumerable.Repeat(50, 20), m.GetProperty("histogram").GetProperty("counts").EnumerateArray().Select(c => c.GetInt32()));
        Assert.Equal(101, m.GetProperty("cdf").GetArrayLength());
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void A_column_sorted_by_group_is_the_same_whether_its_overall_sort_was_shared_or_not()
    {
        // Values with missing rows, zeros, ties and rows in no group (−1); the keyed sort (nothing cached yet) and the
        // per-group sorts (the overall sort already made by another analysis) must agree with a plain sort of each group.
        var rng = new Random(5);
        var values = Enumerable.Range(0, 2000).Select(i => i % 37 == 0 ? double.NaN : i % 53 == 0 ? 0 : Math.Round(rng.NextDouble() * 50, 1)).ToArray();
        var groupOf = Enumerable.Range(0, 2000).Select(i => i % 11 == 0 ? -1 : i % 4).ToArray();
        var fresh = new MemoryRun(new() { ["ttft_s"] = values });
        var shared = new MemoryRun(new() { ["ttft_s"] = values });
        var overall = Columns.Sorted(shared, "ttft_s");

        var keyed = Columns.SortedByGroup(fresh, "ttft_s", groupOf, 4);
        var split = Columns.SortedByGroup(shared, "ttft_s", groupOf, 4);

        Assert.Equal(overall.Sorted, keyed.All.Sorted);
        Assert.Same(overall.Sorted, split.All.Sorted);
        Assert.Same(keyed.All.Sorted, Columns.Sorted(fresh, "ttft_s").Sorted);
        for (var g = 0; g < 4; g++)
        {
            var rows = Enumerable.Range(0, 2000).Where(i => groupOf[i] == g).ToList();
            var expected = rows.Select(i => values[i]).Where(v => !double.IsNaN(v)).Order().ToArray();
            var missing = rows.Count(i => double.IsNaN(values[i]));
            var zero = rows.Count(i => values[i] == 0);
            Assert.Equal(expected, keyed.Groups[g].Sorted);
            Assert.Equal((missing, zero), (keyed.Groups[g].Missing, keyed.Groups[g].Zero));
            Assert.Equal(expected, split.Groups[g].Sorted);
            Assert.Equal((missing, zero), (split.Groups[g].Missing, split.Groups[g].Zero));
        }
    }

    public void Dispose() => System.IO.Directory.Delete(_dir, recursive: true);
}
