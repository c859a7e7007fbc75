using System.Diagnostics;
using System.Text.Json;
using Ipw.Abstractions;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

/// <summary>What users and servers do at the edges: extra request fields, 429 with Retry-After, a server still loading.</summary>
[Collection("server")]
public sealed class EdgeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private InferenceServer Server => fixture.Server;

    private static Exchange Json(string method, string path, int status, string body, Dictionary<string, string>? headers = null) =>
        new() { Method = method, Path = path, Status = status, Body = body, Headers = headers ?? new() { ["content-type"] = "application/json" } };

    private static Exchange Stream(string path, params (double AtMs, string Bytes)[] chunks) => new()
    {
        Method = "POST",
        Path = path,
        Headers = new() { ["content-type"] = "text/event-stream" },
        Chunks = chunks.Select(c => new TimedChunk { AtMs = c.AtMs, Bytes = c.Bytes }).ToList(),
    };

    private const string Models = """{"object":"list","data":[{"id":"ipw-tiny","object":"model","owned_by":"vllm"}]}""";
    private const string Token = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n";
    private const string Finish = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n";

    [Fact]
    public async Task Body_fields_are_merged_into_every_request_as_json()
    {
        Server.Behaviour = new Behaviour();
        await using var c = Clients.Create("vllm", Server.BaseUrl, settings: new()
        {
            ["body.chat_template_kwargs"] = """{"enable_thinking": false}""",
            ["body.top_k"] = "20",
            ["body.ignore_eos"] = "true",
            ["body.guided_choice"] = """["yes","no"]""",
            ["body.priority"] = "-1",
            ["body.tag"] = "plain words",
        });
        var info = await c.PrepareAsync(CancellationToken.None);
        Server.Served.Clear();
        Assert.Null((await Clients.Ask(c)).Error);
        using var sent = JsonDocument.Parse(Assert.Single(Server.Served).RequestJson);
        var root = sent.RootElement;
        Assert.False(root.GetProperty("chat_template_kwargs").GetProperty("enable_thinking").GetBoolean());
        Assert.Equal(20, root.GetProperty("top_k").GetInt32());
        Assert.True(root.GetProperty("ignore_eos").GetBoolean());
        Assert.Equal(["yes", "no"], root.GetProperty("guided_choice").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(-1, root.GetProperty("priority").GetInt32());
        Assert.Equal("plain words", root.GetProperty("tag").GetString());
        Assert.Contains("chat_template_kwargs={\"enable_thinking\":false}", info.Details["body_fields"]);
    }

    [Theory]
    [InlineData("body.max_tokens", "64", "ipw sets 'max_tokens' itself")]
    [InlineData("body.chat_template_kwargs", "{\"enable_thinking\": fals}", "not valid JSON")]
    [InlineData("body.", "1", "name the field")]
    public void A_body_field_that_cannot_work_is_named(string key, string value, string message)
    {
        var e = Assert.Throws<PluginConfigurationException>(() => Clients.Create("openai", Server.BaseUrl, settings: new() { [key] = value }));
        Assert.Contains($"parameter '{key}'", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_field_given_both_as_a_parameter_and_as_a_body_field_is_an_error()
    {
        var e = Assert.Throws<PluginConfigurationException>(() => Clients.Create("openai", Server.BaseUrl, settings: new() { ["top_k"] = "5", ["body.top_k"] = "20" }));
        Assert.Contains("give 'top_k' or 'body.top_k', not both", e.Message);
    }

    [Fact]
    public async Task A_429_is_rate_limited_with_the_servers_delay_and_retry_honours_it()
    {
        var limited = Json("POST", "/v1/chat/completions", 429, """{"error":{"message":"Too many requests, slow down","type":"rate_limit_error","code":429}}""",
            new() { ["content-type"] = "application/json", ["retry-after"] = "1" });
        var transcript = new Transcript { Name = "inline/429-then-ok", Exchanges = [Json("GET", "/v1/models", 200, Models), limited, Stream("/v1/chat/completions", (20, Token), (30, Finish))] };

        Server.Behaviour = new Behaviour { Replay = transcript.Name, Transcript = transcript };
        await using (var plain = Clients.Create("openai", Server.BaseUrl, model: null))
        {
            await plain.PrepareAsync(CancellationToken.None);
            var r = await Clients.Ask(plain);
            Assert.Equal("rate_limited", ClientError.StatusOf(r.Error));
            Assert.Contains("Retry-After 1 s", r.Error!.Message);
            Assert.Contains("Too many requests, slow down", r.Error.Message);
            Assert.Equal(TimeSpan.FromSeconds(1), r.Error.RetryAfter);
            Assert.Equal(1, r.Attempts);
        }

        Server.Behaviour = new Behaviour { Replay = transcript.Name, Transcript = transcript };
        await using var retrying = Clients.Create("openai", Server.BaseUrl, model: null, settings: new() { ["retry"] = "2" });
        await retrying.PrepareAsync(CancellationToken.None);
        var started = Stopwatch.GetTimestamp();
        var ok = await Clients.Ask(retrying);
        Assert.Null(ok.Error);
        Assert.Equal(2, ok.Attempts); // the retry is recorded, never hidden
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromSeconds(0.95), "the server's Retry-After was not honoured");
        Assert.Equal("hi", ok.Text);
        // The wait is recorded, and the query's latencies span both attempts from the first send.
        Assert.InRange(ok.RetryWaitS, 0.95, 1.5);
        var metrics = Clients.Metrics(ok);
        Assert.True(metrics.TtftS >= 1.0, $"TTFT {metrics.TtftS} s must include the first attempt and the wait");
        Assert.True(metrics.E2eS >= metrics.TtftS);
    }

    [Fact]
    public async Task Wait_ready_polls_the_health_route_until_the_server_has_loaded()
    {
        var loading = Json("GET", "/health", 503, """{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}""");
        var transcript = new Transcript
        {
            Name = "inline/loading",
            Exchanges = [loading, loading, loading, Json("GET", "/health", 200, """{"status":"ok"}"""), Json("GET", "/v1/models", 200, Models)],
        };
        Server.Behaviour = new Behaviour { Replay = transcript.Name, Transcript = transcript };
        var options = new ClientOptions(null, Server.BaseUrl.ToString(), new Dictionary<string, string>()) { WaitReady = TimeSpan.FromSeconds(20) };
        await using var c = new OpenAiClient(OpenAiFlavor.LlamaCpp, options);
        var info = await c.PrepareAsync(CancellationToken.None);
        Assert.Equal("ipw-tiny", info.Model);
        Assert.Equal(4, Server.Served.Count(s => s.Path == "/health"));
        Assert.True(double.Parse(info.Details["waited_ready_s"], System.Globalization.CultureInfo.InvariantCulture) > 0.1);
    }

    [Fact]
    public async Task Wait_ready_gives_up_after_its_limit_naming_the_last_answer()
    {
        var loading = Json("GET", "/health", 503, """{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}""");
        var transcript = new Transcript { Name = "inline/never-ready", Exchanges = [loading] };
        Server.Behaviour = new Behaviour { Replay = transcript.Name, Transcript = transcript };
        var options = new ClientOptions(null, Server.BaseUrl.ToString(), new Dictionary<string, string>()) { WaitReady = TimeSpan.FromSeconds(1) };
        await using var c = new OpenAiClient(OpenAiFlavor.Vllm, options);
        var e = await Assert.ThrowsAsync<PluginConfigurationException>(() => c.PrepareAsync(CancellationToken.None));
        Assert.Contains("not ready after 1 s of --wait-ready", e.Message);
        Assert.Contains("Loading model", e.Message);
    }

    [Fact]
    public async Task Wait_ready_waits_for_a_port_that_is_not_listening_yet()
    {
        var port = FaultTests.FreePort();
        var options = new ClientOptions(null, $"127.0.0.1:{port}", new Dictionary<string, string>()) { WaitReady = TimeSpan.FromMilliseconds(600) };
        await using var c = new OpenAiClient(OpenAiFlavor.Vllm, options);
        var started = Stopwatch.GetTimestamp();
        var e = await Assert.ThrowsAsync<PluginConfigurationException>(() => c.PrepareAsync(CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(550));
        Assert.Contains("was not ready", e.Message);
    }

    [Fact]
    public async Task Cold_load_tells_the_profiler_the_first_query_is_cold()
    {
        Server.Behaviour = new Behaviour();
        await using var c = Clients.Create("ollama", Server.BaseUrl, settings: new() { ["cold_load"] = "true" });
        Assert.True((await c.PrepareAsync(CancellationToken.None)).ColdStart);
        await using var warm = Clients.Create("ollama", Server.BaseUrl);
        Assert.False((await warm.PrepareAsync(CancellationToken.None)).ColdStart);
    }

    [Fact]
    public async Task The_test_server_answers_whole_responses_and_its_identity_routes_in_each_servers_shape()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 3 };
        using var http = new HttpClient { BaseAddress = Server.BaseUrl };
        var chat = await http.PostAsync("v1/chat/completions", new StringContent(
            """{"model":"ipw-tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":8,"stream":false}""", System.Text.Encoding.UTF8, "application/json"));
        using (var doc = JsonDocument.Parse(await chat.Content.ReadAsStringAsync()))
        {
            Assert.Equal("chat.completion", doc.RootElement.GetProperty("object").GetString());
            Assert.Equal("tok tok tok", doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            Assert.Equal(3, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
        Server.Behaviour = new Behaviour();
        var ollama = await http.PostAsync("api/generate", new StringContent(
            """{"model":"ipw-tiny","prompt":"hi","stream":false,"options":{"num_predict":4}}""", System.Text.Encoding.UTF8, "application/json"));
        using (var doc = JsonDocument.Parse(await ollama.Content.ReadAsStringAsync()))
        {
            Assert.True(doc.RootElement.GetProperty("done").GetBoolean());
            Assert.Equal(4, doc.RootElement.GetProperty("eval_count").GetInt32());
        }
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
        Assert.Contains("version", await http.GetStringAsync("version"));
        Assert.Contains("build_info", await http.GetStringAsync("props"));
        Assert.Contains("quantization_level", await (await http.PostAsync("api/show", new StringContent("""{"model":"ipw-tiny"}"""))).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Each_client_reports_what_served_the_run()
    {
        Server.Behaviour = new Behaviour();
        await using var vllm = Clients.Create("vllm", Server.BaseUrl);
        var v = await vllm.PrepareAsync(CancellationToken.None);
        Assert.Equal("vllm", v.Server!["kind"]);
        Assert.Equal(ServerInfoRoutesVersion, v.Server["version"]);
        Assert.Equal("ipw-test", v.Server["owned_by"]);
        Assert.StartsWith("vllm at " + Server.BaseUrl, v.Address);
        await using var llama = Clients.Create("llamacpp", Server.BaseUrl);
        Assert.Equal("b0-ipw-test", (await llama.PrepareAsync(CancellationToken.None)).Server!["build_info"]);
        await using var ollama = Clients.Create("ollama", Server.BaseUrl);
        var o = await ollama.PrepareAsync(CancellationToken.None);
        Assert.Equal("F32", o.Server!["model_quantization_level"]);
        Assert.Equal("llama", o.Server["model_family"]);
    }

    private const string ServerInfoRoutesVersion = "0.0.0-ipw-test";
}
