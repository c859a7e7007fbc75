using System.Globalization;
using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>vLLM's bench serve figures from the real binary against the test server: the block ipw profile prints, the
/// serving section of summary.json, goodput under an SLO and the load shapes.</summary>
public sealed class ServingEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();
    private InferenceServer Server => fixture.Server;

    private IpwProcess.Result Profile(params string[] extra) => fixture.Profile(_work.Path, extra);

    private JsonElement Summary()
    {
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        return doc.RootElement.Clone();
    }

    private static string[] Lines(IpwProcess.Result r) => r.Stdout.ReplaceLineEndings("\n").Split('\n');

    private static string Line(string label, double value) => $"{label,-40} {value.ToString("F2", CultureInfo.InvariantCulture)}";

    [Fact]
    public void Profile_prints_vllms_serving_block_with_the_numbers_of_summary_json()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 6, FirstTokenDelay = TimeSpan.FromMilliseconds(30), InterChunkDelay = TimeSpan.FromMilliseconds(10) };
        var r = Profile("--max-queries", "6", "--percentiles", "50,90,99");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var lines = Lines(r);
        var summary = Summary();
        var serving = summary.GetProperty("serving");
        Assert.Contains("============ Serving Benchmark Result ============", lines);
        Assert.Contains($"{"Successful requests:",-40} 6", lines);
        Assert.Contains($"{"Maximum request concurrency:",-40} 1", lines);
        // Every printed figure is summary.json's, rounded as vLLM prints it.
        foreach (var (label, key) in new[]
        {
            ("Benchmark duration (s):", "duration"), ("Request throughput (req/s):", "request_throughput"),
            ("Output token throughput (tok/s):", "output_throughput"), ("Total token throughput (tok/s):", "total_token_throughput"),
            ("Mean TTFT (ms):", "mean_ttft_ms"), ("P90 TTFT (ms):", "p90_ttft_ms"), ("Median TPOT (ms):", "median_tpot_ms"),
            ("P99 TPOT (ms):", "p99_tpot_ms"), ("Mean ITL (ms):", "mean_itl_ms"), ("P50 ITL (ms):", "p50_itl_ms"),
            ("Median E2EL (ms):", "median_e2el_ms"), ("P99 E2EL (ms):", "p99_e2el_ms"),
        })
            Assert.Contains(Line(label, serving.GetProperty(key).GetDouble()), lines);
        Assert.Equal(6 * 6, serving.GetProperty("total_output_tokens").GetInt64());
        // The pool holds every gap: the server writes a token every 10 ms.
        Assert.InRange(serving.GetProperty("median_itl_ms").GetDouble(), 8, 20);
        Assert.InRange(serving.GetProperty("mean_ttft_ms").GetDouble(), 25, 200);
        Assert.Equal([50.0, 90, 99], summary.GetProperty("config").GetProperty("percentiles").EnumerateArray().Select(e => e.GetDouble()));
        // No energy counter here: n/a, never 0.
        Assert.Contains($"{"Energy per request (J):",-40} n/a", lines);
        Assert.Contains($"{"Mean power (W):",-40} n/a", lines);
        Assert.Equal(new string('=', 50), lines.Last(l => l.StartsWith('=')));
    }

    [Fact]
    public void Goodput_counts_the_queries_that_met_every_objective()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 4, FirstTokenDelay = TimeSpan.FromMilliseconds(20), InterChunkDelay = TimeSpan.FromMilliseconds(5) };
        var r = Profile("--max-queries", "4", "--slo", "ttft=5s,tpot=1s,e2e=10s");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var summary = Summary();
        var serving = summary.GetProperty("serving");
        Assert.Equal(4, serving.GetProperty("good_requests").GetInt32());
        Assert.Equal(1.0, serving.GetProperty("good_fraction").GetDouble());
        Assert.Equal(serving.GetProperty("request_throughput").GetDouble(), serving.GetProperty("request_goodput").GetDouble(), 9);
        Assert.Equal(5000, serving.GetProperty("slo_ms").GetProperty("ttft").GetDouble());
        Assert.Equal(10000, summary.GetProperty("config").GetProperty("slo_ms").GetProperty("e2el").GetDouble());
        var lines = Lines(r);
        Assert.Contains(Line("Request goodput (req/s):", serving.GetProperty("request_goodput").GetDouble()), lines);
        Assert.Contains(Line("Requests meeting the SLO (%):", 100), lines);
    }

    [Fact]
    public void Each_sweep_point_has_its_goodput()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 4, FirstTokenDelay = TimeSpan.FromMilliseconds(20), InterChunkDelay = TimeSpan.FromMilliseconds(5), ExactTiming = false };
        // A TTFT bound no query can meet: goodput is a measured 0 at every point.
        var r = Profile("--concurrency", "1,2", "--max-queries", "3", "--slo", "ttft=1ms");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal(2, Lines(r).Count(l => l == Line("Request goodput (req/s):", 0)));
        var sweep = Directory.GetDirectories(_work.Combine("runs")).Single();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(sweep, "sweep.json")));
        Assert.Equal(1, json.RootElement.GetProperty("slo_ms").GetProperty("ttft").GetDouble());
        foreach (var point in json.RootElement.GetProperty("points").EnumerateArray())
        {
            var serving = point.GetProperty("serving");
            Assert.Equal(3, serving.GetProperty("completed").GetInt32());
            Assert.Equal(0, serving.GetProperty("good_requests").GetInt32());
            Assert.Equal(0.0, serving.GetProperty("request_goodput").GetDouble());
            Assert.True(serving.GetProperty("request_throughput").GetDouble() > 0);
        }
    }

    [Fact]
    public void Rate_inf_sends_every_query_at_once()
    {
        // Each answer takes over 100 ms: sent at once, all eight are in flight together.
        Server.Behaviour = new Behaviour { CannedTokens = 4, FirstTokenDelay = TimeSpan.FromMilliseconds(100), InterChunkDelay = TimeSpan.FromMilliseconds(10), ExactTiming = false };
        var r = Profile("--rate", "inf", "--max-queries", "8");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var summary = Summary();
        Assert.Equal("inf", summary.GetProperty("config").GetProperty("rate_per_s").GetString());
        Assert.Equal("inf", summary.GetProperty("serving").GetProperty("request_rate").GetString());
        var load = summary.GetProperty("load");
        Assert.Equal("all at once", load.GetProperty("arrival").GetString());
        Assert.Equal(8, load.GetProperty("max_in_flight").GetInt32());
        Assert.Equal(JsonValueKind.Null, load.GetProperty("achieved_rate_per_s").ValueKind);
        Assert.Equal(8, summary.GetProperty("serving").GetProperty("completed").GetInt32());
        // As vLLM, no configured rate line for an infinite rate.
        Assert.DoesNotContain(Lines(r), l => l.StartsWith("Request rate configured", StringComparison.Ordinal));
    }

    [Fact]
    public void Burstiness_sends_gamma_arrivals_and_is_recorded()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 2, FirstTokenDelay = TimeSpan.FromMilliseconds(5), ExactTiming = false };
        var r = Profile("--rate", "20", "--burstiness", "0.5", "--max-queries", "10");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var summary = Summary();
        Assert.Equal(0.5, summary.GetProperty("config").GetProperty("burstiness").GetDouble());
        Assert.Equal("gamma", summary.GetProperty("config").GetProperty("arrival").GetString());
        Assert.Equal(0.5, summary.GetProperty("load").GetProperty("burstiness").GetDouble());
        Assert.Equal(0.5, summary.GetProperty("serving").GetProperty("burstiness").GetDouble());
        Assert.Equal(20, summary.GetProperty("serving").GetProperty("request_rate").GetDouble());
        Assert.Contains(Line("Request rate configured (RPS):", 20), Lines(r));
        Assert.Contains("gamma arrivals, burstiness 0.5", r.Stdout);
    }

    [Theory]
    [InlineData("--slo", new[] { "--slo", "ttft=200" })]
    [InlineData("--slo", new[] { "--slo", "latency=5s" })]
    [InlineData("--percentiles", new[] { "--percentiles", "50,abc" })]
    [InlineData("--percentiles", new[] { "--percentiles", "101" })]
    [InlineData("--burstiness", new[] { "--rate", "2", "--burstiness", "0" })]
    [InlineData("--burstiness", new[] { "--rate", "2", "--burstiness", "-1" })]
    [InlineData("--burstiness", new[] { "--rate", "2", "--burstiness", "lumpy" })]
    [InlineData("--burstiness", new[] { "--burstiness", "2" })]
    [InlineData("--burstiness", new[] { "--concurrency", "2", "--burstiness", "2" })]
    [InlineData("--burstiness", new[] { "--rate", "inf", "--burstiness", "2" })]
    [InlineData("--burstiness", new[] { "--rate", "1,2", "--burstiness", "0" })]
    [InlineData("--rate", new[] { "--rate", "inf", "--duration", "5s" })]
    [InlineData("--rate", new[] { "--rate", "-inf" })]
    public void Bad_options_are_one_line_errors_before_any_request(string option, string[] args)
    {
        Server.Served.Clear();
        var r = Profile(args.Contains("--duration") ? args : [.. args, "--max-queries", "2"]);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("ipw: error:", line);
        Assert.Contains(option, line);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Empty(Server.Served);
        Assert.False(Directory.Exists(_work.Combine("runs")) && Directory.EnumerateFileSystemEntries(_work.Combine("runs")).Any());
    }

    public void Dispose() => _work.Dispose();
}
