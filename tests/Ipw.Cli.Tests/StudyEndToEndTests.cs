using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>
/// The study's analyses across runs through the real binary: three "models" (the test server answering a six-item
/// workload right on known items, with the NVML stand-in giving every query an energy), then <c>ipw analyze --analysis
/// coverage,routing,frontier --reference RUN</c>, whose coverage is known by hand and whose oracle routing must total the
/// energies its choices recorded.
/// </summary>
public sealed class StudyEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();

    private string Profile(string name, int delayMs, params int[] right)
    {
        fixture.Server.Behaviour = new Behaviour
        {
            ExactTiming = false,
            FirstTokenDelay = TimeSpan.FromMilliseconds(delayMs),
            Reply = prompt => right.Any(k => prompt.Contains($"item {k}?", StringComparison.Ordinal)) ? "yes" : "no",
        };
        var env = new Dictionary<string, string>
        {
            ["LD_LIBRARY_PATH"] = Path.Combine(IpwProcess.RepoRoot, "artifacts", "native", "nvml-standin"),
            ["IPW_NVML_STANDIN_CONFIG"] = _work.Combine("gpu.conf"),
            ["IPW_POWERCAP_ROOT"] = _work.Combine("no-rapl"),
        };
        var r = IpwProcess.Run(_work.Path, ["profile", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", fixture.Server.BaseUrl.ToString(),
            "--max-tokens", "8", "--output-dir", Path.Combine("runs", name), "--progress", "none", "--warmup", "0", "--baseline", "0", "--energy", "nvml",
            "--attribution", "overlap", "--energy-price", "0.2/kWh", "--model-config", "config.json", "--dataset", "jsonl", "--dataset-path", "items.jsonl", "--dataset-param", "grader=exact"], env);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return Directory.GetDirectories(_work.Combine("runs", name)).Single();
    }

    [Fact]
    public void Coverage_routing_and_the_frontier_across_three_runs_of_the_same_items()
    {
        File.WriteAllLines(_work.Combine("gpu.conf"), ["devices=1", "name=NVIDIA Stand-in", "power_low_mw=100000", "power_high_mw=100000", "energy_step_ms=10"]);
        // A served model's shape for its FLOPs (--model-config): the same for the three "models" here.
        File.WriteAllText(_work.Combine("config.json"), """
            {"model_type": "llama", "hidden_size": 256, "intermediate_size": 512, "num_attention_heads": 4, "num_hidden_layers": 2,
             "num_key_value_heads": 2, "vocab_size": 1000}
            """);
        File.WriteAllLines(_work.Combine("items.jsonl"), Enumerable.Range(1, 6).Select(k => $$"""{"id": "i{{k}}", "prompt": "Is this item {{k}}?", "answer": "yes"}"""));
        // The "larger" the model, the longer it takes, at the same power: the more energy a query.
        var a = Profile("a", 10, 1, 2);
        var b = Profile("b", 40, 2, 3, 4);
        var c = Profile("c", 200, 1, 2, 3, 4, 5);

        var r = IpwProcess.Run(_work.Path, ["analyze", a, b, c, "--analysis", "coverage,routing,frontier,trend", "--reference", c, "--json"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var across = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("across_runs");
        var coverage = across.GetProperty("coverage");
        Assert.Equal([2.0 / 6, 3.0 / 6, 5.0 / 6], coverage.GetProperty("runs").EnumerateArray().Select(x => x.GetProperty("coverage").GetDouble()));
        Assert.Equal(5.0 / 6, coverage.GetProperty("best_of_n").GetProperty("coverage").GetDouble(), 12);
        Assert.Equal(["i6"], coverage.GetProperty("unanswered").EnumerateArray().Select(x => x.GetString()));

        // The oracle's energy is, item by item, the cheapest right local answer's, else the reference's, as recorded.
        Dictionary<string, (bool Correct, double Energy)> Items(string run) =>
            ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray()
                .ToDictionary(x => x.GetProperty("item_id").GetString()!, x => (x.GetProperty("correct").GetBoolean(), x.GetProperty("energy_j").GetDouble()));
        var (ia, ib, ic) = (Items(a), Items(b), Items(c));
        var expected = 0.0;
        foreach (var id in ic.Keys)
        {
            var local = new[] { ia, ib }.Where(x => x[id].Correct).Select(x => x[id].Energy).ToList();
            expected += local.Count > 0 ? local.Min() : ic[id].Energy;
        }
        var routing = across.GetProperty("routing");
        Assert.Equal(ic.Values.Sum(v => v.Energy), routing.GetProperty("reference_only").GetProperty("energy_j").GetDouble(), 6);
        Assert.Equal(expected, routing.GetProperty("oracle").GetProperty("energy_j").GetDouble(), 6);
        Assert.Equal(4.0 / 6, routing.GetProperty("oracle").GetProperty("local_share").GetDouble(), 12);
        Assert.Equal(5.0 / 6, routing.GetProperty("oracle").GetProperty("accuracy").GetDouble(), 12);
        Assert.True(routing.GetProperty("oracle").GetProperty("energy_j_savings").GetDouble() > 0);
        // FLOPs per query from the shape: the records' as the count defines them, and the routing table's totals.
        var shape = Ipw.Abstractions.Models.ModelShape.FromConfigJson(File.ReadAllText(_work.Combine("config.json")));
        foreach (var row in ArrowJs.Read(Path.Combine(c, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray())
        {
            var (input, output) = (row.GetProperty("input_tokens").GetInt64(), row.GetProperty("output_tokens").GetInt64());
            Assert.Equal(shape.PrefillFlops(input), row.GetProperty("flops_prefill").GetDouble(), 1e-6);
            Assert.Equal(shape.DecodeFlops(input, output), row.GetProperty("flops_decode").GetDouble(), 1e-6);
        }
        Assert.Equal(JsonValueKind.Number, routing.GetProperty("oracle").GetProperty("flops").ValueKind);
        // Priced by energy alone (--energy-price), the cost saved is the energy saved.
        Assert.Equal(routing.GetProperty("oracle").GetProperty("energy_j_savings").GetDouble(),
            routing.GetProperty("oracle").GetProperty("cost_usd_savings").GetDouble(), 9);

        // The trend's intelligence per watt is each run's own, as its summary.json says it (one definition; null alike where
        // a graded query's window was too short for a power: a's 10 ms answers), and the factor from the first run that
        // has one to the last is their ratio.
        var trend = across.GetProperty("trend");
        var ipws = new[] { a, b, c }.Select(run =>
        {
            using var s = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
            var v = s.RootElement.GetProperty("intelligence").GetProperty("intelligence_per_watt");
            return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : (double?)null;
        }).ToList();
        var trendIpw = trend.GetProperty("runs").EnumerateArray().Select(x => x.GetProperty("intelligence_per_watt"))
            .Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : (double?)null).ToList();
        Assert.True(ipws[1] is not null && ipws[2] is not null, string.Join(", ", ipws));
        for (var k = 0; k < 3; k++) Assert.Equal(ipws[k] is null, trendIpw[k] is null);
        for (var k = 0; k < 3; k++) if (ipws[k] is { } v) Assert.Equal(v, trendIpw[k]!.Value, 12);
        var first = ipws.First(v => v is not null)!.Value;
        Assert.Equal(ipws[2]!.Value / first, trend.GetProperty("factors")[0].GetProperty("ratio").GetDouble(), 12);
        Assert.All(trend.GetProperty("runs").EnumerateArray(), x => Assert.Equal("ipw-tiny", x.GetProperty("model").GetString()));

        var frontier = across.GetProperty("frontier").GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(3, frontier.Count);
        Assert.Contains(frontier, x => x.GetProperty("on_energy_frontier").GetBoolean());
        Assert.True(File.Exists(_work.Combine("runs", "coverage.json")));

        // The tables, and the frontier figure across the runs.
        var text = IpwProcess.Run(_work.Path, ["analyze", a, b, c, "--analysis", "coverage"]);
        Assert.Contains("best of 3", text.Stdout);
        var plot = IpwProcess.Run(_work.Path, ["plot", a, b, c, "--visualization", "frontier"]);
        Assert.True(plot.ExitCode == 0, plot.Stderr + plot.Stdout);
        Assert.True(File.Exists(_work.Combine("runs", "plots", "frontier_energy.png")), plot.Stdout);

        // Routing without a reference is one line and exit code 2.
        var bad = IpwProcess.Run(_work.Path, ["analyze", a, b, "--analysis", "routing"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("ipw: error: --analysis routing needs --reference RUN: the run of the cloud or largest model every query could go to", bad.Stderr.Trim());
    }

    public void Dispose() => _work.Dispose();
}
