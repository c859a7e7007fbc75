using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary><c>ipw analyze</c> through the real binary, on runs made against the test server.</summary>
public sealed class AnalyzeEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();

    private void Profile(params string[] extra)
    {
        // Canned answers of 4 to 8 tokens (the helper caps them at 8); extraction items bring inputs of very different lengths.
        fixture.Server.Behaviour = new Behaviour { CannedTokens = 4, CannedTokensSpread = 8, ExactTiming = false };
        var r = fixture.Profile(_work.Path, ["--dataset-param", "subjects=math,extraction", "--max-queries", "12", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
    }

    private IpwProcess.Result Analyze(params string[] args) => IpwProcess.Run(_work.Path, ["analyze", .. args]);

    [Fact]
    public void Two_runs_are_analysed_and_compared_side_by_side()
    {
        Profile();
        Profile();
        var r = Analyze("runs/profile_*"); // a glob the shell did not expand
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var runs = Directory.GetDirectories(_work.Combine("runs")).Order().ToArray();
        Assert.Equal(2, runs.Length);
        foreach (var run in runs)
            foreach (var name in new[] { "regression", "efficiency", "latency" })
                Assert.True(File.Exists(Path.Combine(run, "analysis", name + ".json")), $"{run}: {name}");
        Assert.Contains("latency_vs_input_tokens", r.Stdout);
        Assert.Contains("warning: energy_vs_total_tokens: 12 of 12 rows lack energy_j", r.Stdout); // no energy here: said, not hidden
        Assert.Contains("== comparison of 2 runs", r.Stdout);
        Assert.Contains("ttft_p50_s", r.Stdout);

        using var comparison = JsonDocument.Parse(File.ReadAllText(_work.Combine("runs", "comparison.json")));
        Assert.Equal(2, comparison.RootElement.GetProperty("runs").GetArrayLength());
        var ttft = comparison.RootElement.GetProperty("metrics").GetProperty("ttft_p50_s").EnumerateArray().ToList();
        Assert.All(ttft, v => Assert.True(v.GetDouble() > 0));
        var energy = comparison.RootElement.GetProperty("metrics").GetProperty("energy_per_query_j").EnumerateArray().ToList();
        Assert.All(energy, v => Assert.Equal(JsonValueKind.Null, v.ValueKind)); // missing, never 0

        using var latency = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs[0], "analysis", "latency.json")));
        Assert.Equal(12, latency.RootElement.GetProperty("metrics").GetProperty("e2e_latency_s").GetProperty("n").GetInt32());

        var json = Analyze(runs[0], "--json", "--analysis", "efficiency");
        Assert.True(json.ExitCode == 0, json.Stderr);
        using var doc = JsonDocument.Parse(json.Stdout);
        var only = Assert.Single(doc.RootElement.GetProperty("runs").EnumerateArray());
        Assert.Equal(12, only.GetProperty("records").GetInt32());
        Assert.Equal(12, only.GetProperty("analyses").GetProperty("efficiency").GetProperty("overall").GetProperty("queries").GetInt32());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("comparison").ValueKind);

        // runs/* as a shell expands it now takes runs/comparison.json too: skipped and named, the runs analysed and plotted.
        var expanded = Directory.GetFileSystemEntries(_work.Combine("runs")).Order().Select(p => Path.GetRelativePath(_work.Path, p)).ToArray();
        Assert.Contains(Path.Combine("runs", "comparison.json"), expanded);
        var again = Analyze([.. expanded, "--analysis", "latency"]);
        Assert.True(again.ExitCode == 0, again.Stderr + again.Stdout);
        // (The analyses across runs wrote coverage.json, frontier.json and routing.json beside comparison.json.)
        Assert.Contains($"ipw: skipping '{Path.Combine("runs", "comparison.json")}' is a file, not a run folder", again.Stderr);
        Assert.All(again.Stderr.Trim().Split('\n'), line => Assert.Matches(@"^ipw: skipping 'runs/\w+\.json' is a file, not a run folder$", line));
        Assert.Contains("== comparison of 2 runs", again.Stdout);
        var plot = IpwProcess.Run(_work.Path, ["plot", .. expanded, "--output", "figures"]);
        Assert.True(plot.ExitCode == 0, plot.Stderr + plot.Stdout);
        Assert.Contains("is a file, not a run folder", plot.Stderr);
    }

    [Fact]
    public void A_sweep_folder_is_its_points_in_load_order()
    {
        Profile("--concurrency", "1,2");
        var sweep = Directory.GetDirectories(_work.Combine("runs")).Single();
        var r = Analyze(sweep, "--analysis", "latency");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var comparison = JsonDocument.Parse(File.ReadAllText(Path.Combine(sweep, "comparison.json")));
        var labels = comparison.RootElement.GetProperty("runs").EnumerateArray().Select(x => x.GetProperty("label").GetString()!).ToList();
        Assert.Equal(2, labels.Count);
        Assert.EndsWith("_c1", labels[0]);
        Assert.EndsWith("_c2", labels[1]);
    }

    [Theory]
    [InlineData("not-a-run", "'not-a-run' is not a run folder")]
    [InlineData("nothing_*", "'nothing_*' matches no run folder")]
    [InlineData("missing", "'missing': no such folder")]
    public void What_is_not_a_run_gets_one_line(string argument, string message)
    {
        Directory.CreateDirectory(_work.Combine("not-a-run"));
        var r = Analyze(argument);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Unknown_analyses_are_refused_and_list_describes_them()
    {
        Profile();
        var r = Analyze("runs/profile_*", "--analysis", "vibes");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("vibes", r.Stderr);
        var list = IpwProcess.Run(_work.Path, ["list", "analyses"]);
        Assert.Contains("regression", list.Stdout);
        Assert.Contains("slope with its 95 % CI", list.Stdout);
        Assert.Contains("efficiency", list.Stdout);
        Assert.Contains("latency", list.Stdout);
    }

    public void Dispose() => _work.Dispose();
}
