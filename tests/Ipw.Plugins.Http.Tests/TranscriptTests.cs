using System.Text.Json;
using Ipw.Abstractions;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

/// <summary>
/// Every golden wire transcript (tests/fixtures/wire), replayed byte for byte on its schedule by the test server,
/// read by the client the transcript names: the text, the counts, the error class and message, the first token's
/// time and the server's identity must be what the transcript says.
/// </summary>
[Collection("server")]
public sealed class TranscriptTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private InferenceServer Server => fixture.Server;

    public static TheoryData<string> Names() => [.. Transcript.All().Select(t => t.Name)];

    /// <summary>How late a chunk may be read after the server flushed it, on a loaded 2-core machine.</summary>
    internal const double LateMs = 25;

    [Theory]
    [MemberData(nameof(Names))]
    public async Task The_client_reads_the_transcript_as_the_server_meant_it(string name)
    {
        var t = Transcript.Named(name);
        var (result, info, report) = await ReplayAsync(t);
        var e = t.Expect;

        Assert.True(e.Status == ClientError.StatusOf(result.Error), $"{name}: status {ClientError.StatusOf(result.Error)} ({result.Error?.Message}), expected {e.Status}");
        if (e.ErrorContains is { } message) Assert.Contains(message, result.Error!.Message);
        if (e.Text is not null) Assert.Equal(e.Text, result.Text);
        Assert.Equal(e.Reasoning, result.Reasoning);
        if (e.Status == "ok" || e.InputTokens is not null)
        {
            Assert.Equal(e.InputTokens, result.Usage?.InputTokens);
            Assert.Equal(e.OutputTokens, result.Usage?.OutputTokens);
        }
        Assert.Equal(e.CachedInputTokens, result.Usage?.CachedInputTokens);
        Assert.Equal(e.ReasoningTokens, result.Usage?.ReasoningTokens);
        if (e.ToolCalls is { } calls) Assert.Equal(calls, result.ToolCalls);
        if (e.ToolCallRequests is { } requests)
            Assert.Equal(requests.Select(c => (c.Id, c.Name, c.Arguments)), result.RequestedToolCalls.Select(c => (c.Id, c.Name, c.Arguments)));
        if (e.FinishReason is not null) Assert.Equal(e.FinishReason, result.FinishReason);
        if (e.TtftMs is { } ttft)
        {
            // Never before the chunk the first token is in (an earlier chunk, e.g. the role, is not a token) and
            // read within LateMs of when the server really flushed it (a later chunk, e.g. content after tool calls,
            // is too late).
            var measured = Clients.Metrics(result).TtftS!.Value * 1000;
            Assert.True(measured >= ttft - 0.5, $"{name}: ttft {measured:F1} ms, before the first token's chunk at {ttft} ms");
            // A client that stopped at a fault has hung up while the server waits to write the rest: its log comes then.
            long? flushedAt = null;
            for (var wait = System.Diagnostics.Stopwatch.StartNew(); flushedAt is null && wait.Elapsed < TimeSpan.FromSeconds(5); await Task.Delay(20))
                flushedAt = t.FirstTokenFlushedAt(Server.Served);
            var flushed = flushedAt ?? throw new InvalidOperationException($"{name}: the server logged no stream");
            var readAt = result.SentAt + (long)(measured / 1000 * System.Diagnostics.Stopwatch.Frequency);
            var late = System.Diagnostics.Stopwatch.GetElapsedTime(flushed, readAt).TotalMilliseconds;
            Assert.True(late <= LateMs, $"{name}: the first token read {late:F1} ms after the server flushed its chunk (ttft {measured:F1} ms)");
        }
        foreach (var (key, value) in e.Server ?? [])
        {
            Assert.True(info.Server!.TryGetValue(key, out var actual), $"{name}: the server identity lacks '{key}': {string.Join(", ", info.Server!.Keys)}");
            Assert.Equal(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(), actual);
        }
        Assert.NotNull(report);
    }

    /// <summary>Prepares the transcript's client against the replaying server, sends one query and finishes.</summary>
    internal async Task<(InferenceResult Result, ClientInfo Info, IReadOnlyDictionary<string, string> Report)> ReplayAsync(Transcript t,
        Dictionary<string, string>? settings = null)
    {
        Server.Behaviour = new Behaviour { Replay = t.Name, Transcript = t };
        Server.Served.Clear();
        var all = new Dictionary<string, string>(settings ?? []) { ["endpoint"] = t.Endpoint };
        // The OpenAI SDK's convention, as the servers' documentation writes it: the base URL ends in /v1.
        var baseUrl = t.Client == "ollama" ? Server.BaseUrl : new Uri(Server.BaseUrl, "v1");
        var options = new ClientOptions(ModelOf(t), baseUrl.ToString(), all) { WaitReady = TimeSpan.FromSeconds(10) };
        await using var client = Clients.Create(t.Client, options);
        var info = await client.PrepareAsync(CancellationToken.None);
        await client.BeginMeasurementAsync(CancellationToken.None);
        var result = await Clients.Ask(client);
        var report = await client.FinishAsync(CancellationToken.None);
        return (result, info, report);
    }

    /// <summary>The model the transcript serves: Ollama's first pulled model; for OpenAI servers none (the only one served is used).</summary>
    internal static string? ModelOf(Transcript t)
    {
        if (t.Client != "ollama") return null;
        var tags = t.Exchanges.First(e => e.Path == "/api/tags");
        using var doc = JsonDocument.Parse(tags.Body!);
        return doc.RootElement.GetProperty("models")[0].GetProperty("name").GetString();
    }
}
