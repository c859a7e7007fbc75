using System.Text.Json;
using Ipw.Abstractions;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

/// <summary>
/// Tool calling through the OpenAI clients: the request offers functions in the OpenAI <c>tools</c> shape, the calls the
/// model streams (vLLM's layout: the name once, the arguments in pieces) come back whole, and a conversation carrying the
/// assistant's calls and the tools' results goes out as the OpenAI API takes it. The server is the test server in its
/// tool-calling mode; the golden vllm/tool-calls transcript checks the same against vLLM's own bytes (TranscriptTests).
/// </summary>
[Collection("server")]
public sealed class ToolCallTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private InferenceServer Server => fixture.Server;

    private static readonly ToolDefinition Calculator = new("calculator", "Evaluates an arithmetic expression.",
        """{"type":"object","properties":{"expression":{"type":"string"}},"required":["expression"]}""");

    [Theory]
    [InlineData("vllm")]
    [InlineData("openai")]
    [InlineData("llamacpp")]
    public async Task Calls_come_back_whole_and_results_go_back_in_the_openai_shape(string name)
    {
        Server.Behaviour = new Behaviour
        {
            ToolCalls = [new("calculator", """{"expression": "6 * 7"}"""), new("calculator", """{"expression": "42 + 1"}""")],
            Reply = _ => "The answer is 43.",
        };
        Server.Served.Clear();
        await using var client = Clients.Create(name, Server.BaseUrl);
        await client.PrepareAsync(CancellationToken.None);
        List<ChatMessage> conversation = [new("user", "What is 6 times 7, plus one?")];
        InferenceRequest Request() => new("q", conversation, new GenerationParameters(64, 0, 1)) { Tools = [Calculator] };

        var first = await client.SendAsync(Request(), CancellationToken.None);
        Assert.Null(first.Error);
        Assert.Equal("tool_calls", first.FinishReason);
        var call = Assert.Single(first.RequestedToolCalls);
        Assert.Equal("calculator", call.Name);
        Assert.Equal("""{"expression": "6 * 7"}""", call.Arguments);
        Assert.Matches("^chatcmpl-tool-[0-9a-f]{32}$", call.Id);
        Assert.Equal(1, first.ToolCalls);
        Assert.Equal("", first.Text);
        Assert.Contains(first.Chunks, c => c.Kind == ChunkKind.ToolCall); // the call's tokens are timed like text

        conversation.Add(new ChatMessage("assistant", "") { ToolCalls = [call] });
        conversation.Add(new ChatMessage("tool", "42") { ToolCallId = call.Id });
        var second = await client.SendAsync(Request(), CancellationToken.None);
        Assert.Equal("""{"expression": "42 + 1"}""", Assert.Single(second.RequestedToolCalls).Arguments);

        using var sent = JsonDocument.Parse(Server.Served.Last().RequestJson);
        var tools = sent.RootElement.GetProperty("tools");
        Assert.Equal("function", tools[0].GetProperty("type").GetString());
        Assert.Equal("calculator", tools[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("object", tools[0].GetProperty("function").GetProperty("parameters").GetProperty("type").GetString());
        var messages = sent.RootElement.GetProperty("messages");
        Assert.Equal(JsonValueKind.Null, messages[1].GetProperty("content").ValueKind);
        var sentCall = messages[1].GetProperty("tool_calls")[0];
        Assert.Equal(call.Id, sentCall.GetProperty("id").GetString());
        Assert.Equal("function", sentCall.GetProperty("type").GetString());
        Assert.Equal("calculator", sentCall.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(call.Arguments, sentCall.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());
        Assert.Equal(call.Id, messages[2].GetProperty("tool_call_id").GetString());

        conversation.Add(new ChatMessage("assistant", "") { ToolCalls = [second.RequestedToolCalls[0]] });
        conversation.Add(new ChatMessage("tool", "43") { ToolCallId = second.RequestedToolCalls[0].Id });
        var last = await client.SendAsync(Request(), CancellationToken.None);
        Assert.Empty(last.RequestedToolCalls);
        Assert.Equal("The answer is 43.", last.Text);
    }

    [Fact]
    public async Task Ollama_calls_come_back_whole_and_results_go_back_in_ollamas_own_shape()
    {
        // Ollama's native API: each call whole on one line, its arguments a JSON object and no call id; the conversation
        // goes back with the arguments as an object and each result naming its tool (tool_name), as Ollama reads them.
        Server.Behaviour = new Behaviour
        {
            ToolCalls = [new("calculator", """{"expression": "6 * 7"}""")],
            Reply = _ => "The answer is 42.",
        };
        Server.Served.Clear();
        await using var client = Clients.Create("ollama", Server.BaseUrl);
        await client.PrepareAsync(CancellationToken.None);
        List<ChatMessage> conversation = [new("user", "What is 6 times 7?")];
        InferenceRequest Request() => new("q", conversation, new GenerationParameters(64, 0, 1)) { Tools = [Calculator] };

        var first = await client.SendAsync(Request(), CancellationToken.None);
        Assert.Null(first.Error);
        var call = Assert.Single(first.RequestedToolCalls);
        Assert.Equal("calculator", call.Name);
        Assert.Null(call.Id);
        Assert.Equal("6 * 7", JsonDocument.Parse(call.Arguments).RootElement.GetProperty("expression").GetString());
        Assert.Equal(1, first.ToolCalls);
        Assert.Contains(first.Chunks, c => c.Kind == ChunkKind.ToolCall);
        using (var offered = JsonDocument.Parse(Server.Served.Last().RequestJson))
            Assert.Equal("calculator", offered.RootElement.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());

        conversation.Add(new ChatMessage("assistant", "") { ToolCalls = [call] });
        conversation.Add(new ChatMessage("tool", "42") { ToolCallId = call.Id });
        var last = await client.SendAsync(Request(), CancellationToken.None);
        Assert.Empty(last.RequestedToolCalls);
        Assert.Equal("The answer is 42.", last.Text);

        using var sent = JsonDocument.Parse(Server.Served.Last().RequestJson);
        var messages = sent.RootElement.GetProperty("messages");
        Assert.Equal("", messages[1].GetProperty("content").GetString());
        var sentCall = messages[1].GetProperty("tool_calls")[0];
        Assert.False(sentCall.TryGetProperty("type", out _));
        Assert.Equal(JsonValueKind.Object, sentCall.GetProperty("function").GetProperty("arguments").ValueKind);
        Assert.Equal("6 * 7", sentCall.GetProperty("function").GetProperty("arguments").GetProperty("expression").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());
        Assert.Equal("calculator", messages[2].GetProperty("tool_name").GetString());
        Assert.False(messages[2].TryGetProperty("tool_call_id", out _));
    }

    [Fact]
    public async Task A_request_without_tools_sends_no_tools_field()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 3, ExactTiming = false, ToolCalls = [new("calculator", "{}")] };
        Server.Served.Clear();
        await using var client = Clients.Create("openai", Server.BaseUrl);
        await client.PrepareAsync(CancellationToken.None);
        var result = await Clients.Ask(client, maxTokens: 3);
        Assert.Empty(result.RequestedToolCalls);
        using var sent = JsonDocument.Parse(Server.Served.Last().RequestJson);
        Assert.False(sent.RootElement.TryGetProperty("tools", out _));
    }
}
