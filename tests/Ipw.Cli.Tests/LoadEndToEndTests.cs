using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>Load modes and sweeps: the real binary against the test server (in this process, so what it served is visible).</summary>
public sealed class LoadEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();
    private InferenceServer Server => fixture.Server;

    private IpwProcess.Result Profile(params string[] extra) => fixture.Profile(_work.Path, extra);

    private static List<JsonElement> Rows(string run) =>
        ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();

    [Fact]
    public void A_concurrency_sweep_gives_one_run_per_point_and_a_sweep_summary()
    {
        // Each request lasts ~150 ms, so N workers really keep N in flight.
        Server.Behaviour = new Behaviour { CannedTokens = 6, FirstTokenDelay = TimeSpan.FromMilliseconds(60), InterChunkDelay = TimeSpan.FromMilliseconds(15), ExactTiming = false };
        Server.Served.Clear();
        var r = Profile("--concurrency", "1,2,4", "--max-queries", "8");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal(24, Server.Served.Count);

        var sweep = Directory.GetDirectories(_work.Combine("runs")).Single();
        Assert.Matches(@"sweep_.+_ipw-tiny_concurrency$", sweep);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(sweep, "sweep.json")));
        var root = json.RootElement;
        Assert.Equal("sweep", root.GetProperty("kind").GetString());
        Assert.Equal("concurrency", root.GetProperty("axis").GetString());
        Assert.Equal("completed", root.GetProperty("status").GetString());
        var points = root.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([1.0, 2.0, 4.0], points.Select(p => p.GetProperty("value").GetDouble()));
        foreach (var point in points)
        {
            var c = (int)point.GetProperty("value").GetDouble();
            var run = Path.Combine(sweep, point.GetProperty("run").GetString()!);
            Assert.EndsWith($"_c{c}", run);
            var rows = Rows(run);
            Assert.Equal(8, rows.Count);
            Assert.All(rows, row => Assert.Equal("ok", row.GetProperty("status").GetString()));
            // Never more in flight than asked, and at concurrency > 1 the queries really overlapped.
            Assert.All(rows, row => Assert.InRange(row.GetProperty("in_flight_at_send").GetInt64(), 1, c));
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
            var load = summary.RootElement.GetProperty("load");
            Assert.Equal(c == 1 ? "sequential" : "closed", load.GetProperty("mode").GetString());
            Assert.Equal(c, load.GetProperty("max_in_flight").GetInt32());
            Assert.True(point.GetProperty("output_tokens_per_s").GetDouble() > 0);
        }
        // At concurrency 4 the queries really overlapped (counted by the harness, not inferred from timing).
        var c4 = Rows(Path.Combine(sweep, points[2].GetProperty("run").GetString()!));
        Assert.True(c4.Average(x => x.GetProperty("in_flight_at_send").GetInt64()) > 2.5);
        Assert.All(points, p => Assert.True(p.GetProperty("completed_per_s").GetDouble() > 0));
        Assert.Contains("sweep completed: 3 of 3 points", r.Stdout);
    }

    [Fact]
    public void Open_loop_sends_on_schedule_and_records_scheduled_and_actual_send_times()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 4, FirstTokenDelay = TimeSpan.FromMilliseconds(5), ExactTiming = false };
        var r = Profile("--rate", "20", "--arrival", "constant", "--duration", "3s");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var rows = Rows(run).OrderBy(x => x.GetProperty("query_index").GetInt64()).ToList();
        Assert.Equal(60, rows.Count); // 20/s for 3 s, the dataset cycled as needed
        var scheduled = rows.Select(x => x.GetProperty("scheduled_at_s").GetDouble()).ToList();
        for (var i = 1; i < scheduled.Count; i++) Assert.Equal(0.05, scheduled[i] - scheduled[i - 1], 1e-6);
        // Sends are never early; the first can be late by a cold start (JIT, thread pool), the typical one is not.
        var lags = rows.Select(x => x.GetProperty("send_lag_s").GetDouble()).Order().ToList();
        Assert.All(lags, lag => Assert.InRange(lag, 0, 0.25));
        Assert.True(lags[lags.Count / 2] < 0.005, $"median send lag {lags[lags.Count / 2] * 1000:F2} ms");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var load = summary.RootElement.GetProperty("load");
        Assert.Equal("open", load.GetProperty("mode").GetString());
        Assert.Equal("constant", load.GetProperty("arrival").GetString());
        Assert.InRange(load.GetProperty("achieved_rate_per_s").GetDouble(), 19.8, 20.2);
        Assert.True(load.GetProperty("send_lag_s").GetProperty("p50").GetDouble() < 0.005);
    }

    [Theory]
    [InlineData("overlap")]
    [InlineData("fitted")]
    public void Under_concurrency_energy_is_shared_the_books_balance_and_idle_is_measured(string attribution)
    {
        // One stand-in GPU at a steady 150 W: idle is 150 W, so every query's active energy is about zero, and
        // the shares plus the unattributed gaps add up to the counter's total.
        var standin = Path.Combine(IpwProcess.RepoRoot, "artifacts", "native", "nvml-standin");
        File.WriteAllLines(_work.Combine("gpu.conf"), ["devices=1", "name=NVIDIA Stand-in", "power_low_mw=150000", "power_high_mw=150000", "energy_step_ms=10"]);
        var env = new Dictionary<string, string>
        {
            ["LD_LIBRARY_PATH"] = standin,
            ["IPW_NVML_STANDIN_CONFIG"] = _work.Combine("gpu.conf"),
            ["IPW_POWERCAP_ROOT"] = _work.Combine("no-rapl"),
        };
        Server.Behaviour = new Behaviour { CannedTokens = 10, FirstTokenDelay = TimeSpan.FromMilliseconds(50), InterChunkDelay = TimeSpan.FromMilliseconds(20), ExactTiming = false };
        var r = IpwProcess.Run(_work.Path, ["profile", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", Server.BaseUrl.ToString(),
            "--max-tokens", "16", "--output-dir", "runs", "--progress", "plain", "--warmup", "0", "--concurrency", "4", "--max-queries", "16",
            "--baseline", "1s", "--energy", "nvml", "--attribution", attribution, "--energy-price", "0.15/kWh", "--carbon", "400g/kWh", "--price-out", "2"], env);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Matches(@"Cost per request \(USD\): +[\d.e-]+", r.Stdout);
        // The idle power before the run, and after it.
        Assert.Matches(@"idle 1(49|50)\.\d\d → 1(49|50)\.\d\d W", r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var rows = Rows(run);
        Assert.Equal(16, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal("ok", row.GetProperty("energy_quality").GetString());
            var method = row.GetProperty("energy_method").GetString();
            Assert.Equal(attribution == "fitted" ? "fitted" : row.GetProperty("mean_concurrency").GetDouble() > 1.000001 ? "overlap-share" : "window", method);
            var share = row.GetProperty("energy_j").GetDouble();
            var window = row.GetProperty("energy_window_j").GetDouble();
            Assert.InRange(share, 0.01, window + 1e-9);   // a share never exceeds the whole window's energy
            // Steady power: nothing above idle, to within one step of the stand-in's counter (150 W × 10 ms = 1.5 J), the
            // resolution a window edge has; charging idle as active would show as a share of 150 W over the query, about 9 J.
            Assert.InRange(row.GetProperty("active_energy_j").GetDouble(), -1.5, 1.5);
            Assert.InRange(row.GetProperty("avg_power_w").GetDouble(), 140, 160);   // the device's power over the window
            // Cost and CO2e follow the energy as finally attributed (the fitted method rewrites it at close).
            var tokens = row.GetProperty("output_tokens").GetDouble();
            Assert.Equal(share / 3.6e6 * 0.15 + tokens / 1e6 * 2, row.GetProperty("cost_usd").GetDouble(), 15);
            Assert.Equal(share / 3.6e6 * 400, row.GetProperty("co2e_g").GetDouble(), 12);
        }
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var energy = summary.RootElement.GetProperty("energy");
        var gross = energy.GetProperty("gross_j").GetDouble();
        var shares = rows.Sum(x => x.GetProperty("energy_j").GetDouble());
        Assert.Equal(gross, shares + energy.GetProperty("unattributed_j").GetDouble(), 1e-6);
        Assert.Equal(shares, energy.GetProperty("total_j").GetDouble(), 1e-6);
        var cost = summary.RootElement.GetProperty("totals").GetProperty("cost");
        Assert.Equal(rows.Sum(x => x.GetProperty("cost_usd").GetDouble()), cost.GetProperty("total_usd").GetDouble(), 12);
        Assert.Equal(rows.Sum(x => x.GetProperty("co2e_g").GetDouble()), cost.GetProperty("total_co2e_g").GetDouble(), 9);
        Assert.Equal(0.15, summary.RootElement.GetProperty("config").GetProperty("pricing").GetProperty("energy_per_kwh").GetDouble());
        // One second of baseline read every 50 ms off a counter that steps every 10 ms: a late read on a loaded machine
        // moves the estimate by up to a step's share (1.5 J in 1 s).
        Assert.Equal(150, energy.GetProperty("idle").GetProperty("power_w").GetDouble(), 1.0);
        Assert.Equal(150, energy.GetProperty("avg_power_w").GetDouble(), 1.0);
        Assert.True(energy.GetProperty("estimate").GetBoolean());
        Assert.Contains(attribution == "fitted" ? "fitted as idle" : "equal shares", energy.GetProperty("method").GetString());
        Assert.Equal(attribution, energy.GetProperty("attribution").GetString());
        // The records carry their final values, against the baselines before and after the run.
        Assert.True(energy.GetProperty("finalised").GetBoolean());
        Assert.Equal(attribution == "fitted", energy.TryGetProperty("fit", out var fit) && fit.ValueKind == JsonValueKind.Array);
        Assert.Equal(16, energy.GetProperty("per_query_j").GetProperty("count").GetInt32());
        Assert.True(energy.GetProperty("j_per_output_token").GetDouble() > 0);

        // The canned answers are wrong, so accuracy is a measured 0 and so is intelligence per joule; the energy and
        // power it divides by are real.
        var intelligence = summary.RootElement.GetProperty("intelligence");
        Assert.True(intelligence.GetProperty("graded").GetInt32() > 0);
        Assert.Equal(0.0, intelligence.GetProperty("accuracy").GetDouble());
        Assert.Equal(0.0, intelligence.GetProperty("intelligence_per_joule").GetDouble());
        Assert.True(intelligence.GetProperty("mean_energy_per_query_j").GetDouble() > 0);
        Assert.Equal(150, intelligence.GetProperty("mean_power_w").GetDouble(), 10.0);
        Assert.Equal(JsonValueKind.Null, intelligence.GetProperty("missing_reason").ValueKind);
    }

    [Theory]
    [InlineData("--concurrency", "0")]
    [InlineData("--concurrency", "-3")]
    [InlineData("--concurrency", "many")]
    [InlineData("--concurrency", "1,2,x")]
    [InlineData("--concurrency", "1,0")]
    [InlineData("--rate", "0")]
    [InlineData("--rate", "-1")]
    [InlineData("--rate", "fast")]
    [InlineData("--rate", "1,2,NaN")]
    [InlineData("--rate", "1,,2")]
    [InlineData("--duration", "0")]
    [InlineData("--duration", "soon")]
    [InlineData("--baseline", "-5s")]
    [InlineData("--prefill-weight", "0")]
    public void Bad_load_options_are_refused_before_any_request(string option, string value)
    {
        Server.Served.Clear();
        var r = Profile(option, value, "--max-queries", "2");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("ipw: error:", line);
        Assert.Contains(option, line);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Empty(Server.Served);
        Assert.False(Directory.Exists(_work.Combine("runs")) && Directory.EnumerateFileSystemEntries(_work.Combine("runs")).Any());
    }

    [Fact]
    public void Closed_and_open_loop_together_are_refused()
    {
        var r = Profile("--concurrency", "2", "--rate", "5");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cannot be combined", r.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
