using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary><c>ipw profile --workers N</c>: one schedule split among worker processes that the real binary starts (or
/// that connect to it from elsewhere, over loopback here), one run folder, every query recorded once.</summary>
public sealed class WorkersEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();
    private InferenceServer Server => fixture.Server;

    private static List<JsonElement> Rows(string run) =>
        ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray()
            .OrderBy(x => x.GetProperty("query_index").GetInt64()).ToList();

    private string OnlyRun() => Directory.GetDirectories(_work.Combine("runs")).Single();

    private static JsonElement Summary(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement;

    [Fact]
    public void Two_workers_split_one_schedule_and_every_query_is_recorded_once()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 4, FirstTokenDelay = TimeSpan.FromMilliseconds(5), ExactTiming = false };
        Server.Served.Clear();
        var r = IpwProcess.Run(_work.Path, ["profile", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", Server.BaseUrl.ToString(),
            "--max-tokens", "8", "--output-dir", "runs", "--progress", "plain", "--warmup", "1",
            "--rate", "40", "--arrival", "constant", "--duration", "3s", "--workers", "2"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = OnlyRun();
        var rows = Rows(run);
        // 40/s for 3 s: 120 queries, each index once, on the one schedule drawn by the coordinator.
        Assert.Equal(Enumerable.Range(0, 120), rows.Select(x => (int)x.GetProperty("query_index").GetInt64()));
        var scheduled = rows.Select(x => x.GetProperty("scheduled_at_s").GetDouble()).ToList();
        for (var i = 1; i < scheduled.Count; i++) Assert.Equal(0.025, scheduled[i] - scheduled[i - 1], 1e-6);
        Assert.All(rows, x => Assert.Equal("ok", x.GetProperty("status").GetString()));
        // The workers' clock is this machine's: no send is early, and the typical one is on time.
        var lags = rows.Select(x => x.GetProperty("send_lag_s").GetDouble()).Order().ToList();
        Assert.All(lags, lag => Assert.InRange(lag, 0, 0.25));
        Assert.True(lags[lags.Count / 2] < 0.005, $"median send lag {lags[lags.Count / 2] * 1000:F2} ms");
        Assert.All(rows, x => Assert.InRange(x.GetProperty("ttft_s").GetDouble(), 1e-6, 0.25));
        // The server saw the 120 queries and three warm-ups: the coordinator's and one per worker.
        Assert.Equal(123, Server.Served.Count);

        var summary = Summary(run);
        Assert.Equal(2, summary.GetProperty("config").GetProperty("workers").GetInt32());
        var load = summary.GetProperty("load");
        Assert.Equal(120, load.GetProperty("sent").GetInt32());
        Assert.InRange(load.GetProperty("achieved_rate_per_s").GetDouble(), 39.6, 40.4);
        var workers = load.GetProperty("workers").EnumerateArray().ToList();
        Assert.Equal([0, 1], workers.Select(w => w.GetProperty("worker").GetInt32()));
        // Round robin: each sent half, with its own send lag and its own process's CPU.
        Assert.All(workers, w =>
        {
            Assert.Equal(60, w.GetProperty("sent").GetInt32());
            Assert.Equal(60, w.GetProperty("send_lag_s").GetProperty("count").GetInt32());
            Assert.Equal(0, w.GetProperty("lost").GetInt32());
            Assert.Equal(JsonValueKind.Null, w.GetProperty("exit").ValueKind);
            Assert.Equal(0, w.GetProperty("clock_uncertainty_s").GetDouble());
            Assert.True(w.GetProperty("process_cpu_s").GetDouble() > 0);
            Assert.True(w.GetProperty("allocated_bytes_per_query").GetInt64() > 0);
        });
        Assert.Contains("coordinating", load.GetProperty("harness").GetProperty("note").GetString());
        // Nothing is left running.
        Assert.Empty(WorkerProcesses());
    }

    [Fact]
    public void Workers_started_elsewhere_connect_to_the_listen_address_and_a_lost_one_is_reported()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 6, FirstTokenDelay = TimeSpan.FromMilliseconds(20), InterChunkDelay = TimeSpan.FromMilliseconds(20), ExactTiming = false };
        var port = IpwProcess.FreePort();
        using var coordinator = IpwProcess.Start(_work.Path, ["profile", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", Server.BaseUrl.ToString(),
            "--max-tokens", "8", "--output-dir", "runs", "--progress", "plain", "--warmup", "0", "--rate", "40", "--arrival", "constant", "--duration", "4s",
            "--workers", "2", "--workers-listen", $"127.0.0.1:{port}"]);
        coordinator.StandardInput.Close();
        var stdout = coordinator.StandardOutput.ReadToEndAsync();
        var stderr = coordinator.StandardError.ReadToEndAsync();
        // Two workers as a Kubernetes Indexed Job starts them: the same command, the index from JOB_COMPLETION_INDEX.
        var workers = Enumerable.Range(0, 2).Select(i => IpwProcess.Start(_work.Path, ["worker", "--connect", $"127.0.0.1:{port}"],
            new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = i.ToString() })).ToList();
        // Worker 1 is lost a second and a half into the run.
        Assert.True(WaitForRunFolder(coordinator), stderr.IsCompleted ? stderr.Result : "no run folder");
        Thread.Sleep(1500);
        workers[1].Kill();
        Assert.True(coordinator.WaitForExit(TimeSpan.FromSeconds(120)), "the coordinator did not finish");
        Assert.True(coordinator.ExitCode == 0, stderr.Result + stdout.Result);
        Assert.True(workers[0].WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, workers[0].ExitCode);

        var run = OnlyRun();
        var rows = Rows(run);
        var load = Summary(run).GetProperty("load");
        var w = load.GetProperty("workers").EnumerateArray().ToList();
        // Measured clocks (another machine's would differ): the mapping's uncertainty is said, and on loopback small.
        Assert.All(w, x => Assert.InRange(x.GetProperty("clock_uncertainty_s").GetDouble(), 1e-9, 0.01));
        Assert.Equal(JsonValueKind.Null, w[0].GetProperty("exit").ValueKind);
        // Started elsewhere, so only its connection tells: it went away, and why is said.
        Assert.False(string.IsNullOrWhiteSpace(w[1].GetProperty("exit").GetString()));
        // Every query worker 0 held is recorded; worker 1's in flight ended as errors that say why; its orders not yet
        // sent were never sent (counted), and after it went away every query went to worker 0.
        Assert.Equal(load.GetProperty("sent").GetInt32(), rows.Count);
        Assert.Equal(160, rows.Count + w[1].GetProperty("lost").GetInt32());
        Assert.True(w[0].GetProperty("sent").GetInt32() > 80, $"worker 0 sent {w[0].GetProperty("sent").GetInt32()}");
        Assert.All(rows.Where(x => x.GetProperty("status").GetString() != "ok"),
            x => Assert.Contains("worker 1 went away", x.GetProperty("error").GetString()));
        Assert.Contains(load.GetProperty("warnings").EnumerateArray(), x => x.GetString()!.StartsWith("worker 1 went away", StringComparison.Ordinal));
        foreach (var p in workers) p.Dispose();
    }

    [Fact]
    public void Workers_without_an_open_loop_or_a_reachable_coordinator_are_one_line_errors()
    {
        var r = fixture.Profile(_work.Path, "--workers", "2", "--max-queries", "4");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("ipw: error: --workers splits an open-loop schedule among processes: give --rate too", r.Stderr.Trim());
        var port = IpwProcess.FreePort();
        var w = IpwProcess.Run(_work.Path, ["worker", "--connect", $"127.0.0.1:{port}", "--id", "3", "--connect-timeout", "1s"]);
        Assert.Equal(2, w.ExitCode);
        Assert.StartsWith($"ipw: error: worker 3: cannot reach the coordinator at 127.0.0.1:{port}", w.Stderr.Trim());
        Assert.DoesNotContain("\n", w.Stderr.Trim());
    }

    /// <summary>The run folder is made once every worker is ready; sending begins right after.</summary>
    private bool WaitForRunFolder(Process coordinator)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !coordinator.HasExited)
        {
            if (Directory.Exists(_work.Combine("runs")) && Directory.GetDirectories(_work.Combine("runs")).Length > 0) return true;
            Thread.Sleep(50);
        }
        return false;
    }


    private static List<int> WorkerProcesses() =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(int.Parse!)
            .Where(pid =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains("worker --connect 127.0.0.1", StringComparison.Ordinal)
                        && File.ReadAllText($"/proc/{pid}/cmdline").Contains(IpwProcess.BinaryDir, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false;
                }
            }).ToList();

    public void Dispose() => _work.Dispose();
}
