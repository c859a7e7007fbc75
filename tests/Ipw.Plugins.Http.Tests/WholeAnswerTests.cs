using System.Text.Json;
using Ipw.Abstractions;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

/// <summary>
/// <c>--client-param stream=false</c>: the OpenAI clients ask for the answer whole. Its text, counts and finish reason
/// are read from the one JSON object; it has no timeline, so TTFT and the inter-token figures are missing, never the
/// end-to-end time in disguise, and only the total timeout applies.
/// </summary>
[Collection("server")]
public sealed class WholeAnswerTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private InferenceServer Server => fixture.Server;

    [Theory]
    [InlineData("chat")]
    [InlineData("completions")]
    public async Task A_whole_answer_has_its_text_and_counts_and_no_timeline(string endpoint)
    {
        Server.Behaviour = new Behaviour { CannedTokens = 5, ExactTiming = false };
        await using var client = Clients.Create("openai", Server.BaseUrl, settings: new() { ["stream"] = "false", ["endpoint"] = endpoint });
        await client.PrepareAsync(CancellationToken.None);
        var result = await Clients.Ask(client, maxTokens: 5);

        Assert.Null(result.Error);
        Assert.Equal("tok tok tok tok tok", result.Text);
        Assert.Equal(5, result.Usage?.OutputTokens);
        Assert.NotNull(result.Usage?.InputTokens);
        Assert.Equal("length", result.FinishReason);
        Assert.Empty(result.Chunks);
        var metrics = Clients.Metrics(result);
        Assert.Null(metrics.TtftS);
        Assert.Null(metrics.DecodeTokensPerS);
        Assert.True(metrics.E2eS > 0);
        using var sent = JsonDocument.Parse(Server.Served.Last().RequestJson);
        Assert.False(sent.RootElement.GetProperty("stream").GetBoolean());
        Assert.False(sent.RootElement.TryGetProperty("stream_options", out _));
    }

    [Fact]
    public async Task A_streamed_answer_is_still_the_default()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 3, ExactTiming = false };
        await using var client = Clients.Create("openai", Server.BaseUrl);
        await client.PrepareAsync(CancellationToken.None);
        var result = await Clients.Ask(client, maxTokens: 3);
        Assert.NotEmpty(result.Chunks);
        Assert.NotNull(Clients.Metrics(result).TtftS);
    }
}
