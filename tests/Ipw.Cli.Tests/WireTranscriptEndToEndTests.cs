using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>
/// The real ipw binary against the test server replaying real servers' golden wire transcripts
/// (tests/fixtures/wire): one run per quirk, read back from the records and summary.json as a user would.
/// </summary>
public sealed class WireTranscriptEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();
    private InferenceServer Server => fixture.Server;

    public void Dispose() => _work.Dispose();

    public static TheoryData<string> Quirks() =>
    [
        "vllm/chat-continuous-usage", "vllm/reasoning-both-fields", "vllm/no-usage-tokenize", "vllm/error-flat-object", "vllm/tool-calls",
        "llamacpp/timings-cache-n", "llamacpp/old-error-line", "ollama/chat-stream", "tgi/chat-no-done", "tgi/no-done-no-finish",
        "proxy/bare-cr", "proxy/event-error-no-error-key", "proxy/rate-limit-retry-after", "openai/usage-details",
    ];

    private (IpwProcess.Result Result, JsonElement Row, JsonElement Summary) Profile(Transcript t, IDictionary<string, string>? env = null, params string[] extra)
    {
        Server.Behaviour = new Behaviour { Replay = t.Name, Transcript = t };
        Server.Served.Clear();
        var baseUrl = t.Client == "ollama" ? Server.BaseUrl.ToString() : new Uri(Server.BaseUrl, "v1").ToString();
        List<string> args = ["profile", "--client", t.Client, "--max-queries", "1", "--max-tokens", "16", "--warmup", "0", "--baseline", "0",
            "--output-dir", "runs", "--progress", "plain", "--client-param", "endpoint=" + t.Endpoint, .. extra];
        if (env is null) args.AddRange(["--client-base-url", baseUrl]);
        if (t.Client == "ollama") args.AddRange(["--model", OllamaModel(t)]);
        var r = IpwProcess.Run(_work.Path, args, env);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var row = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows")[0];
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        return (r, row, summary.RootElement.Clone());
    }

    private static string OllamaModel(Transcript t)
    {
        using var doc = JsonDocument.Parse(t.Exchanges.First(e => e.Path == "/api/tags").Body!);
        return doc.RootElement.GetProperty("models")[0].GetProperty("name").GetString()!;
    }

    private static long? Int(JsonElement row, string column) =>
        row.TryGetProperty(column, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    [Theory]
    [MemberData(nameof(Quirks))]
    public void Each_quirk_is_recorded_as_the_server_meant_it(string name)
    {
        var t = Transcript.Named(name);
        var (r, row, summary) = Profile(t);
        var e = t.Expect;
        Assert.True(r.ExitCode is 0 or 1, r.Stderr + r.Stdout);
        Assert.Equal(e.Status, row.GetProperty("status").GetString());
        if (e.ErrorContains is { } message) Assert.Contains(message, row.GetProperty("error").GetString());
        if (e.Text is not null) Assert.Equal(e.Text, row.GetProperty("response").GetString());
        if (e.Status == "ok")
        {
            Assert.Equal(e.InputTokens, Int(row, "input_tokens"));
            Assert.Equal(e.OutputTokens, Int(row, "output_tokens"));
        }
        Assert.Equal(e.CachedInputTokens, Int(row, "cached_input_tokens"));
        Assert.Equal(e.ReasoningTokens, Int(row, "reasoning_tokens"));
        if (e.ToolCalls is { } calls) Assert.Equal(calls, Int(row, "tool_calls"));
        if (e.TtftMs is { } ttft)
        {
            // From the first token's chunk as the server really flushed it (a loaded machine may write it late),
            // plus the time to send the request and read the chunk.
            var measured = row.GetProperty("ttft_s").GetDouble() * 1000;
            var served = Server.Served.Last(s => s.ChunkWrittenAt.Count > 1);
            var flushed = System.Diagnostics.Stopwatch.GetElapsedTime(served.ReceivedAt, t.FirstTokenFlushedAt(Server.Served)!.Value).TotalMilliseconds;
            Assert.InRange(measured, ttft - 0.5, flushed + 40);
        }
        foreach (var (key, value) in e.Server ?? [])
            Assert.Equal(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(), summary.GetProperty("server").GetProperty(key).GetString());
        // What the run used, named on its first lines.
        Assert.Contains($"client: {t.Client} at {Server.BaseUrl}", r.Stdout);
    }

    [Fact]
    public void Without_the_flag_the_sdks_environment_variables_name_the_server()
    {
        var t = Transcript.Named("vllm/chat-continuous-usage");
        var (r, row, _) = Profile(t, new Dictionary<string, string> { ["OPENAI_BASE_URL"] = new Uri(Server.BaseUrl, "v1").ToString() });
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal("ok", row.GetProperty("status").GetString());
        Assert.Contains($"client: vllm at {Server.BaseUrl} (from OPENAI_BASE_URL)", r.Stdout);

        var o = Transcript.Named("ollama/chat-stream");
        var hostPort = $"{Server.BaseUrl.Host}:{Server.BaseUrl.Port}";
        Directory.Delete(_work.Combine("runs"), recursive: true);
        var (r2, row2, _) = Profile(o, new Dictionary<string, string> { ["OLLAMA_HOST"] = hostPort });
        Assert.True(r2.ExitCode == 0, r2.Stderr + r2.Stdout);
        Assert.Equal("ok", row2.GetProperty("status").GetString());
        Assert.Contains("(from OLLAMA_HOST)", r2.Stdout);
    }

    [Fact]
    public void Server_metrics_are_read_after_the_warm_up_and_their_histograms_become_server_latencies()
    {
        var t = Transcript.Named("vllm/metrics");
        var (r, row, summary) = Profile(t);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal("ok", row.GetProperty("status").GetString());
        var report = summary.GetProperty("client").GetProperty("report");
        var ttft = report.GetProperty("server_latency").GetProperty("ttft");
        Assert.True(ttft.GetProperty("count").GetDouble() > 0);
        Assert.True(ttft.GetProperty("p50_s").GetDouble() > 0);
        Assert.True(report.GetProperty("counters_delta").EnumerateObject().Any());
        Assert.Equal("vllm", summary.GetProperty("server").GetProperty("kind").GetString());
    }

    [Fact]
    public void A_served_models_flops_come_from_what_the_server_says_of_it()
    {
        // Ollama lists the GGUF's tensors in /api/show: Llama 3.2 1B counted exactly, by hand here (16 blocks of q, k, v, o,
        // gate, up, down, the head tied to the embedding; 32 heads of 64), for the transcript's 32 prompt tokens.
        var (r, row, summary) = Profile(Transcript.Named("ollama/chat-stream"));
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        const double weights = 16.0 * (2 * 2048 * 2048 + 2 * 2048 * 512 + 3 * 2048 * 8192) + 128256.0 * 2048;
        Assert.Equal(32, Int(row, "input_tokens"));
        Assert.Equal(2 * weights * 32 + 2.0 * 16 * 2048 * 32 * 33, row.GetProperty("flops_prefill").GetDouble());
        var output = (double)Int(row, "output_tokens")!;
        Assert.Equal(2 * weights * output + 2.0 * 16 * 2048 * ((32 + output) * (33 + output) - 32 * 33), row.GetProperty("flops_decode").GetDouble());
        Assert.Equal("Ollama /api/show tensors (llama)", summary.GetProperty("totals").GetProperty("flops").GetProperty("source").GetString());
        Directory.Delete(_work.Combine("runs"), recursive: true);

        // llama.cpp's /v1/models gives only counts (its /props names a file not on this machine): a lower bound, said so.
        var (r2, row2, summary2) = Profile(Transcript.Named("llamacpp/props-and-health"), null, "--wait-ready", "20s");
        Assert.True(r2.ExitCode == 0, r2.Stderr + r2.Stdout);
        var flops = summary2.GetProperty("totals").GetProperty("flops");
        Assert.StartsWith("llama.cpp /v1/models meta", flops.GetProperty("source").GetString());
        Assert.Equal(2.0 * (1_235_814_400 - 128_256L * 2048) * Int(row2, "input_tokens")!.Value, row2.GetProperty("flops_prefill").GetDouble());
        Directory.Delete(_work.Combine("runs"), recursive: true);

        // Where /props names a GGUF this machine can read (the server runs here), its tensors are counted exactly.
        Server.Behaviour = new Behaviour();
        var r3 = IpwProcess.Run(_work.Path, ["profile", "--client", "llamacpp", "--client-base-url", new Uri(Server.BaseUrl, "v1").ToString(),
            "--max-queries", "2", "--max-tokens", "8", "--warmup", "0", "--baseline", "0", "--output-dir", "runs", "--progress", "none"]);
        Assert.True(r3.ExitCode == 0, r3.Stderr + r3.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        using var served = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var path = served.RootElement.GetProperty("server").GetProperty("model_path").GetString()!;
        var shape = Ipw.Abstractions.Models.ModelShape.FromGguf(Ipw.Abstractions.Models.GgufFile.Read(path));
        Assert.Equal($"llama.cpp /props model_path: GGUF tensors of {Path.GetFileName(path)}", served.RootElement.GetProperty("totals").GetProperty("flops").GetProperty("source").GetString());
        foreach (var row3 in ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray())
            Assert.Equal(shape.PrefillFlops(Int(row3, "input_tokens")!.Value), row3.GetProperty("flops_prefill").GetDouble());
    }

    [Fact]
    public void A_server_still_loading_is_waited_for()
    {
        var t = Transcript.Named("llamacpp/props-and-health");
        var (r, row, summary) = Profile(t, null, "--wait-ready", "20s");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal("ok", row.GetProperty("status").GetString());
        Assert.True(summary.GetProperty("server").TryGetProperty("build_info", out _));
    }

    [Fact]
    public void A_cold_load_with_a_warm_up_is_refused_before_anything_runs()
    {
        Server.Behaviour = new Behaviour();
        var r = IpwProcess.Run(_work.Path, ["profile", "--client", "ollama", "--model", "ipw-tiny", "--client-base-url", Server.BaseUrl.ToString(),
            "--client-param", "cold_load=true", "--max-queries", "1", "--output-dir", "runs", "--progress", "plain"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--warmup 1 would spend it", r.Stderr);
        Assert.Contains("add --warmup 0", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
