using System.Diagnostics;
using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary>
/// The live suite: the real ipw binary against a real llama.cpp server that nobody here wrote (Debian's llama-server in
/// a chroot, scripts/servers/llamacpp.sh), serving ipw's own tiny GGUF. Closed loops at several concurrencies lose no
/// query to the server's closed keep-alive connections; the server's identity, prompt cache, own timings and
/// Prometheus counters are recorded and agree with ipw's counts; Ctrl-C frees the server's slots; an oversized prompt
/// and a missing API key are said in the server's words and in one line.
/// </summary>
public sealed class LiveLlamaServerTests(LlamaServers servers) : IClassFixture<LlamaServers>, IDisposable
{
    private readonly TempDir _work = new();

    private string Main => servers.Start("main", "-t", "1", "--parallel", "4", "-c", "4096", "--metrics");

    private void RequireServer() => Skip.If(servers.Unavailable is not null, $"live llama-server suite skipped: {servers.Unavailable}");

    private IpwProcess.Result Profile(string client, string url, int queries, params string[] extra) =>
        IpwProcess.Run(_work.Path, ["profile", "--client", client, "--client-base-url", url, "--max-queries", queries.ToString(),
            "--max-tokens", "24", "--baseline", "0", "--output-dir", "runs", "--progress", "none",
            .. extra.Contains("--dataset") ? extra : ["--dataset-param", "subjects=math", .. extra]]);

    /// <summary>The run folder of the last profile, cleared for the next.</summary>
    private (JsonElement Summary, JsonElement Rows) TakeRun()
    {
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").Clone();
        var summary = doc.RootElement.Clone();
        Directory.Delete(_work.Combine("runs"), recursive: true);
        return (summary, rows);
    }

    [SkippableFact]
    public void A_launched_llama_server_is_started_waited_for_measured_and_stopped()
    {
        RequireServer();
        var port = IpwProcess.FreePort();
        var launch = $"env IPW_CACHE_DIR={LlamaServers.ChrootCache} bash {LlamaServers.Script} run -m {servers.Model} --host 127.0.0.1 --port {port} -t 1";
        var r = Profile("llamacpp", $"http://127.0.0.1:{port}/v1", 4, "--launch", launch);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var log = File.ReadAllText(Path.Combine(run, "server.log"));
        Assert.Contains("listening on http://127.0.0.1:" + port, log); // llama-server's own words
        var (summary, rows) = TakeRun();
        Assert.Equal(4, summary.GetProperty("counts").GetProperty("ok").GetInt32());
        // The server's own parameter count is the file's, and its FLOPs (the chroot's model path is not this machine's:
        // the counts /v1/models gives) are 2 per weight but the input embedding's, per prompt token: a lower bound, said so.
        var file = Ipw.Abstractions.Models.GgufFile.Read(servers.Model);
        Assert.Equal(file.Parameters.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.GetProperty("server").GetProperty("model_params").GetString());
        var embedding = file.Tensors.Single(t => t.Name == "token_embd.weight").Elements;
        Assert.StartsWith("llama.cpp /v1/models meta", summary.GetProperty("totals").GetProperty("flops").GetProperty("source").GetString());
        Assert.All(rows.EnumerateArray(), row => Assert.Equal(2.0 * (file.Parameters - embedding) * row.GetProperty("input_tokens").GetInt64(),
            row.GetProperty("flops_prefill").GetDouble()));
        var started = summary.GetProperty("launch");
        Assert.Equal("stopped by ipw", started.GetProperty("ended").GetString());
        Assert.True(started.GetProperty("ready_s").GetDouble() > 0);
        Assert.Matches("^b[0-9]+", summary.GetProperty("server").GetProperty("system_fingerprint").GetString());
        Assert.False(LaunchEndToEndTests.Listening(port));
    }

    [SkippableFact]
    public void Ipw_serve_starts_lists_and_stops_a_real_llama_server()
    {
        RequireServer();
        if (OperatingSystem.IsWindows()) return; // the chroot is Linux's
        // llama-server on PATH, as an installed llama.cpp puts it: here the chroot's, through llamacpp.sh run.
        var bin = Directory.CreateDirectory(_work.Combine("bin")).FullName;
        var shim = Path.Combine(bin, "llama-server");
        File.WriteAllText(shim, $"#!/bin/sh\nexec env IPW_CACHE_DIR={LlamaServers.ChrootCache} bash {LlamaServers.Script} run \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["IPW_STATE_DIR"] = _work.Combine("state"),
        };
        var port = IpwProcess.FreePort();
        var start = IpwProcess.Run(_work.Path, ["serve", "start", "llamacpp", "--model", servers.Model, "--port", port.ToString(), "--", "-t", "1"], env);
        try
        {
            Assert.True(start.ExitCode == 0, start.Stderr + start.Stdout);
            Assert.Contains($"ready at http://127.0.0.1:{port}", start.Stdout);
            Assert.Matches(@"llamacpp\s+llamacpp\s+\d+\s+ready", IpwProcess.Run(_work.Path, ["serve", "status"], env).Stdout);
            var r = Profile("llamacpp", $"http://127.0.0.1:{port}/v1", 3);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var (summary, _) = TakeRun();
            Assert.Matches("^b[0-9]+", summary.GetProperty("server").GetProperty("system_fingerprint").GetString());
        }
        finally
        {
            var stop = IpwProcess.Run(_work.Path, ["serve", "stop", "--all"], env);
            Assert.True(stop.ExitCode == 0, stop.Stderr);
        }
        Assert.False(LaunchEndToEndTests.Listening(port));
        Assert.Contains("listening on http://127.0.0.1:" + port, File.ReadAllText(_work.Combine("state", "llamacpp.log")));
    }

    [SkippableFact]
    public void Closed_loops_at_concurrency_1_4_16_and_64_lose_no_query_to_the_connections_the_server_closes()
    {
        RequireServer();
        foreach (var (c, n) in new[] { (1, 16), (4, 40), (16, 64), (64, 128) })
        {
            var r = Profile("openai", Main + "/v1", n, "--concurrency", c.ToString());
            Assert.True(r.ExitCode == 0, $"c={c}: {r.Stderr}{r.Stdout}");
            var (summary, rows) = TakeRun();
            var counts = summary.GetProperty("counts");
            Assert.True(counts.GetProperty("errors").GetInt32() == 0, $"c={c} against {servers.Version}: {counts}");
            Assert.Equal(n, counts.GetProperty("ok").GetInt32());
            Assert.All(rows.EnumerateArray(), row => Assert.Equal("ok", row.GetProperty("status").GetString()));
            // Every stream closed its connection: whatever the pool handed out stale was sent again and counted.
            var reconnected = rows.EnumerateArray().Count(row => row.GetProperty("reconnected").GetBoolean());
            Assert.Equal(reconnected, counts.GetProperty("reconnected").GetInt32());
            Assert.True(summary.GetProperty("client").GetProperty("report").TryGetProperty("stale_connection_retries", out _));

            // What served it, and its own timings beside the client's.
            var server = summary.GetProperty("server");
            Assert.Matches("^b[0-9]+", server.GetProperty("system_fingerprint").GetString());
            Assert.Equal("4", server.GetProperty("total_slots").GetString());
            var timings = summary.GetProperty("totals").GetProperty("server_timings");
            Assert.Equal(n, timings.GetProperty("queries").GetInt64());
            Assert.True(timings.GetProperty("client_ttft_s").GetDouble() > timings.GetProperty("server_prompt_eval_s").GetDouble(),
                "TTFT on the client includes the server's prompt evaluation");
            Assert.Contains("server's own timings", r.Stdout);
        }
    }

    [SkippableFact]
    public void A_repeated_prompt_is_served_from_the_servers_prompt_cache_and_recorded_so()
    {
        RequireServer();
        File.WriteAllLines(_work.Combine("same.jsonl"), Enumerable.Range(0, 3).Select(i =>
            $$"""{"id": "q{{i}}", "prompt": "Add the numbers 12, 30 and 57, then say the sum twice, in words and in digits."}"""));
        var r = Profile("llamacpp", Main, 3, "--dataset", "jsonl", "--dataset-path", "same.jsonl", "--warmup", "0");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var rows = TakeRun().Rows.EnumerateArray().OrderBy(x => x.GetProperty("query_index").GetInt64()).ToList();
        // The second and third sends find the whole prompt but its last token in the slot's cache.
        foreach (var row in rows.Skip(1))
        {
            var input = row.GetProperty("input_tokens").GetInt64();
            var cached = row.GetProperty("cached_input_tokens").GetInt64();
            Assert.InRange(cached, input - 2, input - 1);
        }
    }

    [SkippableFact]
    public void The_completions_endpoint_and_the_llamacpp_client_agree_with_the_servers_own_counters()
    {
        RequireServer();
        var r = Profile("openai", Main + "/v1", 16, "--concurrency", "4", "--client-param", "endpoint=completions");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal(0, TakeRun().Summary.GetProperty("counts").GetProperty("errors").GetInt32());

        r = Profile("llamacpp", Main, 32, "--concurrency", "16");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var (summary, _) = TakeRun();
        Assert.Equal(0, summary.GetProperty("counts").GetProperty("errors").GetInt32());
        // /metrics read after the warm-up and after the run: the server counted the tokens ipw counted.
        var report = summary.GetProperty("client").GetProperty("report");
        var delta = report.GetProperty("counters_delta");
        var totals = summary.GetProperty("totals");
        Assert.Equal(totals.GetProperty("output_tokens").GetInt64(), (long)delta.GetProperty("llamacpp:tokens_predicted_total").GetDouble());
        Assert.True(delta.GetProperty("llamacpp:prompt_tokens_total").GetDouble() > 0);
        Assert.True(report.GetProperty("gauges_after").TryGetProperty("llamacpp:requests_processing", out _), report.GetProperty("gauges_after").GetRawText());
    }

    [SkippableFact]
    public void Whole_answers_from_the_real_server_have_their_counts_and_the_servers_timings_and_no_ttft()
    {
        RequireServer();
        foreach (var client in new[] { "openai", "llamacpp" })
        {
            var r = Profile(client, Main + "/v1", 8, "--concurrency", "4", "--client-param", "stream=false");
            Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
            var (summary, rows) = TakeRun();
            Assert.Equal(8, summary.GetProperty("counts").GetProperty("ok").GetInt32());
            Assert.All(rows.EnumerateArray(), row =>
            {
                Assert.Equal(JsonValueKind.Null, row.GetProperty("ttft_s").ValueKind);
                Assert.Equal(24, row.GetProperty("output_tokens").GetInt64());
                Assert.True(row.GetProperty("e2e_latency_s").GetDouble() > 0);
                Assert.NotEqual(JsonValueKind.Null, row.GetProperty("server_eval_s").ValueKind);
            });
        }
    }

    [SkippableFact]
    public void Ctrl_c_twice_mid_stream_cuts_the_streams_and_the_server_frees_its_slots()
    {
        RequireServer();
        var url = servers.Start("long", "-t", "1", "--parallel", "2", "-c", "16384");
        using var p = IpwProcess.Start(_work.Path, ["profile", "--client", "llamacpp", "--client-base-url", url, "--concurrency", "2",
            "--max-queries", "8", "--max-tokens", "6000", "--warmup", "0", "--baseline", "0", "--output-dir", "runs", "--progress", "none"]);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var busy = false;
        for (var clock = Stopwatch.StartNew(); !busy && clock.Elapsed < TimeSpan.FromSeconds(60); Thread.Sleep(50))
            busy = Slots(http, url).Any(s => s);
        Assert.True(busy, "the server never had a query in a slot");
        IpwProcess.RunTool("kill", _work.Path, "-INT", p.Id.ToString());
        Thread.Sleep(300);
        IpwProcess.RunTool("kill", _work.Path, "-INT", p.Id.ToString());
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "ipw did not stop after Ctrl-C twice");
        Assert.Equal(130, p.ExitCode);
        _ = stdout.Result;
        Assert.Contains("Ctrl-C again", stderr.Result);
        // The server noticed the closed streams and stopped generating: every slot idle within a second or two.
        var idle = false;
        for (var clock = Stopwatch.StartNew(); !idle && clock.Elapsed < TimeSpan.FromSeconds(5); Thread.Sleep(50))
            idle = Slots(http, url).All(s => !s);
        Assert.True(idle, "a slot was still processing after ipw cut its stream");
    }

    private static List<bool> Slots(HttpClient http, string url)
    {
        using var doc = JsonDocument.Parse(http.GetStringAsync(url + "/slots").Result);
        return [.. doc.RootElement.EnumerateArray().Select(s => s.GetProperty("is_processing").GetBoolean())];
    }

    [SkippableFact]
    public void A_prompt_longer_than_the_slots_context_is_a_bad_request_in_the_servers_words()
    {
        RequireServer();
        File.WriteAllLines(_work.Combine("long.jsonl"),
        [
            $$"""{"id": "long", "prompt": "{{string.Concat(Enumerable.Repeat("word ", 1500))}}"}""",
            """{"id": "short", "prompt": "What is 2 + 2?"}""",
        ]);
        var r = Profile("llamacpp", Main, 2, "--dataset", "jsonl", "--dataset-path", "long.jsonl", "--warmup", "0");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var rows = TakeRun().Rows.EnumerateArray().ToDictionary(x => x.GetProperty("item_id").GetString()!);
        Assert.Equal("bad_request", rows["long"].GetProperty("status").GetString());
        Assert.Contains("exceeds the available context size", rows["long"].GetProperty("error").GetString());
        Assert.Equal("ok", rows["short"].GetProperty("status").GetString());
    }

    [SkippableFact]
    public void A_server_with_an_api_key_refuses_ipw_without_it_in_one_line_naming_the_variable_and_serves_it_with_it()
    {
        RequireServer();
        var url = servers.Start("key", "-t", "1", "--parallel", "1", "--api-key", "live-secret");
        var r = Profile("llamacpp", url, 2);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("401", line);
        Assert.Contains("IPW_API_KEY", line);
        Assert.DoesNotContain("   at ", r.Stderr);

        var ok = IpwProcess.Run(_work.Path, ["profile", "--client", "llamacpp", "--client-base-url", url, "--max-queries", "2",
            "--max-tokens", "8", "--baseline", "0", "--output-dir", "runs", "--progress", "none"], new Dictionary<string, string> { ["IPW_API_KEY"] = "live-secret" });
        Assert.True(ok.ExitCode == 0, ok.Stderr + ok.Stdout);
        var (summary, _) = TakeRun();
        Assert.Equal(2, summary.GetProperty("counts").GetProperty("ok").GetInt32());
        Assert.DoesNotContain("live-secret", summary.GetRawText());
    }

    public void Dispose() => _work.Dispose();
}
