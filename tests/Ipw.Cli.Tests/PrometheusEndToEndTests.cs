using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ipw.Cli.Tests;

/// <summary>
/// A small cluster on loopback, measured through a real Prometheus (Debian's package): two "nodes" served by
/// <c>ipw energy serve</c>, node-a with the NVML stand-in at 150 W and node-b with a RAPL counter driven at 20 W,
/// plus a DCGM-exporter stand-in (the exporter's text format, a counter the test can reset). Prometheus scrapes all
/// three every second.
/// </summary>
public sealed class PrometheusCluster : IAsyncLifetime
{
    public const double NodeAWatts = 150, NodeBWatts = 20, DcgmWatts = 80;

    private readonly List<Process> _processes = [];
    private FakeRaplCounter? _rapl;
    public TempDir Work { get; } = new();
    public DcgmStandin Dcgm { get; } = new(DcgmWatts);
    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var prometheus = "/usr/bin/prometheus";
        Assert.True(File.Exists(prometheus), "Debian's prometheus package is needed (.ci/run installs it)");
        File.WriteAllLines(Work.Combine("gpu.conf"), ["devices=1", "name=NVIDIA H100 80GB HBM3", $"power_low_mw={NodeAWatts * 1000}",
            $"power_high_mw={NodeAWatts * 1000}", "energy_step_ms=10", "memory_used=3221225472", "temperature_c=63"]);
        _rapl = new FakeRaplCounter(Work.Combine("powercap"), NodeBWatts);
        int portA = IpwProcess.FreePort(), portB = IpwProcess.FreePort(), portP = IpwProcess.FreePort();
        Serve("node-a", portA, "nvml", new()
        {
            ["LD_LIBRARY_PATH"] = Path.Combine(IpwProcess.RepoRoot, "artifacts", "native", "nvml-standin"),
            ["IPW_NVML_STANDIN_CONFIG"] = Work.Combine("gpu.conf"),
        });
        Serve("node-b", portB, "rapl", new() { ["IPW_POWERCAP_ROOT"] = _rapl.Root });
        Dcgm.Start();
        File.WriteAllText(Work.Combine("prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
            scrape_configs:
              - job_name: ipw
                static_configs:
                  - targets: ['127.0.0.1:{portA}', '127.0.0.1:{portB}']
              - job_name: dcgm
                static_configs:
                  - targets: ['127.0.0.1:{Dcgm.Port}']
            """);
        var psi = new ProcessStartInfo(prometheus) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { $"--config.file={Work.Combine("prometheus.yml")}", $"--web.listen-address=127.0.0.1:{portP}",
            $"--storage.tsdb.path={Work.Combine("tsdb")}" }) psi.ArgumentList.Add(a);
        Start(psi);
        Url = $"http://127.0.0.1:{portP}";
        // Ready once every target has been scraped a few times.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var json = JsonNode.Parse(await http.GetStringAsync($"{Url}/api/v1/query?query=" + Uri.EscapeDataString("count_over_time(up[10s]) >= 3 and up == 1")))!;
                if (json["data"]!["result"]!.AsArray().Count == 3) break;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"Prometheus did not scrape the three targets within 60 s:\n{Log()}");
            await Task.Delay(250);
        }
    }

    private void Serve(string node, int port, string backend, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(IpwProcess.Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "energy", "serve", "--listen", $"127.0.0.1:{port}", "--node", node, "--energy", backend }) psi.ArgumentList.Add(a);
        psi.Environment["IPW_CACHE_DIR"] = IpwProcess.CacheDir;
        psi.Environment.Remove("IPW_PLUGIN_PATH");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Start(psi);
        var first = p.StandardOutput.ReadLine();
        Assert.True(first?.StartsWith("ipw energy serve: http://127.0.0.1:", StringComparison.Ordinal) == true, $"serve did not start: {first} {Log()}");
    }

    private Process Start(ProcessStartInfo psi)
    {
        var p = Process.Start(psi)!;
        _processes.Add(p);
        // Prometheus logs to stderr: drained, or a full pipe would stop it. The last lines are kept for a failure message.
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_log)
            {
                _log.Enqueue(e.Data);
                if (_log.Count > 20) _log.Dequeue();
            }
        };
        p.BeginErrorReadLine();
        return p;
    }

    private readonly Queue<string> _log = new();

    private string Log()
    {
        lock (_log) return string.Join("\n", _log);
    }

    public Task DisposeAsync()
    {
        foreach (var p in _processes)
        {
            try { p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        Dcgm.Dispose();
        _rapl?.Dispose();
        Work.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>A stand-in for NVIDIA's DCGM exporter: its exposition format and labels, one GPU whose energy counter
/// (DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION, mJ) rises at a constant power, and can be reset as an exporter restart does.</summary>
public sealed class DcgmStandin(double watts) : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _resetAt;

    public int Port { get; private set; }

    public void Start()
    {
        Port = IpwProcess.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); } catch (Exception) { return; }
                if (_clock.Elapsed.TotalSeconds < Volatile.Read(ref _downUntil))
                {
                    // Down: Prometheus records the failed scrape and marks the series stale.
                    ctx.Response.StatusCode = 503;
                    ctx.Response.Close();
                    continue;
                }
                var mj = (_clock.Elapsed.TotalSeconds - Volatile.Read(ref _resetAt)) * watts * 1000;
                var body = string.Create(CultureInfo.InvariantCulture, $"""
                    # HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in mJ).
                    # TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
                    DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{"{"}gpu="0",UUID="GPU-00000000-0000-0000-0000-000000000000",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-c"{"}"} {mj:F0}
                    # HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
                    # TYPE DCGM_FI_DEV_POWER_USAGE gauge
                    DCGM_FI_DEV_POWER_USAGE{"{"}gpu="0",UUID="GPU-00000000-0000-0000-0000-000000000000",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-c"{"}"} {watts:F3}

                    """);
                var bytes = System.Text.Encoding.UTF8.GetBytes(body);
                ctx.Response.ContentType = "text/plain; version=0.0.4";
                await ctx.Response.OutputStream.WriteAsync(bytes);
                ctx.Response.Close();
            }
        });
    }

    private double _downUntil;

    /// <summary>Answers every scrape with an error for a while (the exporter is down); the counter keeps counting.</summary>
    public void GoDown(TimeSpan duration) => Volatile.Write(ref _downUntil, _clock.Elapsed.TotalSeconds + duration.TotalSeconds);

    /// <summary>The counter starts again from zero (as when the exporter or the driver restarts).</summary>
    public void Reset() => Volatile.Write(ref _resetAt, _clock.Elapsed.TotalSeconds);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}

[CollectionDefinition("prometheus", DisableParallelization = true)]
public sealed class PrometheusCollection : ICollectionFixture<PrometheusCluster>;

[Collection("prometheus")]
public sealed class PrometheusEndToEndTests(PrometheusCluster cluster) : IDisposable
{
    private readonly TempDir _work = new();

    private JsonElement ProfileSummary(string[] extra, string duration = "6s")
    {
        var r = IpwProcess.Run(_work.Path, ["profile", "--energy", "prometheus", "--prometheus-url", cluster.Url, "--duration", duration, "--max-tokens", "64",
            "--threads", "1", "--baseline", "0", "--output-dir", "runs", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement.Clone();
    }

    [Fact]
    public void A_profile_reports_each_nodes_energy_and_the_total_within_one_scrape_interval()
    {
        var summary = ProfileSummary(["--prometheus-job", "ipw"]);
        var energy = summary.GetProperty("energy");
        Assert.True(energy.GetProperty("available").GetBoolean(), energy.ToString());
        var span = energy.GetProperty("measured_span_s").GetDouble();
        Assert.InRange(span, 5.5, 10);
        var byNode = energy.GetProperty("by_node");
        // The local readings are known exactly (the stand-ins' constant power); Prometheus sees them a scrape at a time.
        foreach (var (node, watts) in new[] { ("node-a", PrometheusCluster.NodeAWatts), ("node-b", PrometheusCluster.NodeBWatts) })
            Assert.InRange(byNode.GetProperty(node).GetProperty("j").GetDouble(), watts * (span - 1), watts * (span + 1));
        var total = PrometheusCluster.NodeAWatts + PrometheusCluster.NodeBWatts;
        Assert.InRange(energy.GetProperty("gross_j").GetDouble(), total * (span - 1), total * (span + 1));
        Assert.Equal(2, byNode.EnumerateObject().Count());
        Assert.Equal(1.0, energy.GetProperty("counter_update_s").GetDouble());

        var source = summary.GetProperty("telemetry").GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "prometheus");
        var details = source.GetProperty("details");
        Assert.Equal("node-a,node-b", details.GetProperty("nodes").GetString());
        Assert.Equal("1", details.GetProperty("resolution_s").GetString());
        Assert.Contains("node-a/gpu0", details.GetProperty("devices").GetString());
        Assert.Contains("node-b/cpu0", details.GetProperty("devices").GetString());
        Assert.Empty(source.GetProperty("notes").EnumerateArray());
        // Per-query windows as with local backends: the queries' shares add up to what was attributed.
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        Assert.All(rows, row => Assert.True(row.GetProperty("energy_j").GetDouble() > 0));
        Assert.Equal(energy.GetProperty("attributed_j").GetDouble(), rows.Sum(row => row.GetProperty("energy_j").GetDouble()), 6);
        Assert.Equal(3221225472, rows[0].GetProperty("gpu_memory_used_bytes").GetInt64());
    }

    [Fact]
    public void Energy_test_shows_per_node_readings_and_says_why_when_prometheus_cannot_help()
    {
        var r = IpwProcess.Run(_work.Path, ["energy", "test", "--backend", "prometheus", "--prometheus-url", cluster.Url, "--interval", "1", "--duration", "2"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(r.Stdout.Contains("node_a_gpu0_energy_j=", StringComparison.Ordinal), r.Stdout);
        Assert.Contains("node_a_gpu0_energy_j=", r.Stdout);
        Assert.Contains("node_b_rapl_package0_j=", r.Stdout);
        Assert.Contains("node_c_gpu0_energy_j=", r.Stdout);
        Assert.Contains("node_c_gpu0_power_w=80.0W", r.Stdout);
        Assert.Matches(@"prometheus\s+works: \d+ of \d+ metrics read", r.Stdout);

        var unreachable = IpwProcess.Run(_work.Path, ["energy", "test", "--backend", "prometheus", "--prometheus-url", "http://127.0.0.1:1", "--interval", "0.5", "--duration", "0.5"]);
        Assert.Matches(@"prometheus\s+unavailable because cannot query Prometheus at http://127.0.0.1:1/ \(Connection refused", unreachable.Stdout);

        var none = IpwProcess.Run(_work.Path, ["energy", "test", "--backend", "prometheus", "--prometheus-url", cluster.Url, "--prometheus-job", "no-such-job",
            "--interval", "0.5", "--duration", "0.5"]);
        Assert.Contains("unavailable because no series in Prometheus at", none.Stdout);
        Assert.Contains("job=~\"no-such-job\"", none.Stdout);

        // A profile that needs Prometheus and cannot have it says so and records no energy, never zero.
        var profile = IpwProcess.Run(_work.Path, ["profile", "--energy", "prometheus", "--prometheus-url", "http://127.0.0.1:1", "--max-queries", "2",
            "--max-tokens", "4", "--threads", "1", "--baseline", "0", "--output-dir", "runs"]);
        Assert.True(profile.ExitCode == 0, profile.Stderr);
        Assert.Contains("energy: not measured — ", profile.Stdout);
        Assert.Contains("cannot query Prometheus at http://127.0.0.1:1/", profile.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        foreach (var row in ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray())
        {
            Assert.Equal(JsonValueKind.Null, row.GetProperty("energy_j").ValueKind);
            Assert.Contains("prometheus", row.GetProperty("energy_missing_reason").GetString());
        }
    }

    [Fact]
    public void A_counter_reset_mid_run_is_noted_and_the_energy_still_adds_up()
    {
        using var reset = new Timer(_ => cluster.Dcgm.Reset(), null, TimeSpan.FromSeconds(3.5), Timeout.InfiniteTimeSpan);
        var summary = ProfileSummary(["--prometheus-job", "dcgm"]);
        var energy = summary.GetProperty("energy");
        var span = energy.GetProperty("measured_span_s").GetDouble();
        // One scrape interval of slack, plus the one scrape whose increase is lost in the reset (Prometheus's increase() loses it too).
        Assert.InRange(energy.GetProperty("gross_j").GetDouble(), PrometheusCluster.DcgmWatts * (span - 2), PrometheusCluster.DcgmWatts * (span + 1));
        Assert.Equal("node-c", energy.GetProperty("by_node").EnumerateObject().Single().Name);
        var source = summary.GetProperty("telemetry").GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "prometheus");
        Assert.Contains(source.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("counter reset", StringComparison.Ordinal));
    }

    [Fact]
    public void A_scrape_gap_is_noted_and_its_energy_comes_from_the_counter_on_either_side()
    {
        using var down = new Timer(_ => cluster.Dcgm.GoDown(TimeSpan.FromSeconds(3)), null, TimeSpan.FromSeconds(2.5), Timeout.InfiniteTimeSpan);
        var summary = ProfileSummary(["--prometheus-job", "dcgm"], duration: "8s");
        var energy = summary.GetProperty("energy");
        var span = energy.GetProperty("measured_span_s").GetDouble();
        // The counter kept counting through the gap: its reading after the gap covers it.
        Assert.InRange(energy.GetProperty("gross_j").GetDouble(), PrometheusCluster.DcgmWatts * (span - 1), PrometheusCluster.DcgmWatts * (span + 1));
        var source = summary.GetProperty("telemetry").GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "prometheus");
        Assert.Contains(source.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("scrape gap", StringComparison.Ordinal));
    }

    public void Dispose() => _work.Dispose();
}
