using System.Net;
using System.Net.Sockets;
using Ipw.Abstractions;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

[Collection("server")]
public sealed class FaultTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private InferenceServer Server => fixture.Server;

    [Theory]
    [InlineData("openai", Fault.Http500, ErrorClass.Server)]
    [InlineData("openai", Fault.Http429, ErrorClass.RateLimited)]
    [InlineData("openai", Fault.Disconnect, ErrorClass.Disconnected)]
    [InlineData("openai", Fault.Malformed, ErrorClass.Protocol)]
    [InlineData("openai", Fault.ErrorEvent, ErrorClass.Server)]
    [InlineData("ollama", Fault.Http500, ErrorClass.Server)]
    [InlineData("ollama", Fault.Http429, ErrorClass.RateLimited)]
    [InlineData("ollama", Fault.Disconnect, ErrorClass.Disconnected)]
    [InlineData("ollama", Fault.Malformed, ErrorClass.Protocol)]
    [InlineData("ollama", Fault.ErrorEvent, ErrorClass.Server)]
    public async Task Every_fault_becomes_a_classified_error_not_an_exception(string client, Fault fault, ErrorClass expected)
    {
        Server.Behaviour = new Behaviour { Fault = fault, FaultAfterChunks = 3 };
        await using var c = Clients.Create(client, Server.BaseUrl);
        await c.PrepareAsync(CancellationToken.None);
        var r = await Clients.Ask(c, maxTokens: 10);
        Assert.NotNull(r.Error);
        Assert.Equal(expected, r.Error!.Class);
        Assert.False(string.IsNullOrWhiteSpace(r.Error.Message));
        if (fault is Fault.Disconnect or Fault.Malformed or Fault.ErrorEvent)
            Assert.Equal(3, r.Chunks.Count(ch => ch.Kind == ChunkKind.Content)); // what arrived before the fault is kept
        Server.Behaviour = new Behaviour();
    }

    [Fact]
    public async Task A_first_token_timeout_is_a_timeout_error()
    {
        Server.Behaviour = new Behaviour { FirstTokenDelay = TimeSpan.FromMilliseconds(400) };
        await using var c = Clients.Create("openai", Server.BaseUrl, settings: new() { ["first_token_timeout"] = "0.1" });
        await c.PrepareAsync(CancellationToken.None);
        var r = await Clients.Ask(c);
        Assert.Equal(ErrorClass.Timeout, r.Error!.Class);
        Assert.Contains("first token", r.Error.Message);
        Server.Behaviour = new Behaviour();
    }

    [Fact]
    public async Task A_total_timeout_after_the_first_token_is_a_timeout_error()
    {
        Server.Behaviour = new Behaviour { InterChunkDelay = TimeSpan.FromMilliseconds(60) };
        await using var c = Clients.Create("ollama", Server.BaseUrl, settings: new() { ["total_timeout"] = "0.3" });
        await c.PrepareAsync(CancellationToken.None);
        var r = await Clients.Ask(c, maxTokens: 20);
        Assert.Equal(ErrorClass.Timeout, r.Error!.Class);
        Assert.Contains("end of stream", r.Error.Message);
        Assert.InRange(r.Chunks.Count, 2, 8);
        Server.Behaviour = new Behaviour();
    }

    [Fact]
    public async Task Opt_in_retries_get_past_a_rate_limit_and_count_attempts()
    {
        Server.Behaviour = new Behaviour { Fault = Fault.Http429, FaultEvery = 2 };
        await using var c = Clients.Create("openai", Server.BaseUrl, settings: new() { ["retries"] = "2" });
        await c.PrepareAsync(CancellationToken.None);
        var results = new List<InferenceResult>();
        for (var i = 0; i < 3; i++) results.Add(await Clients.Ask(c, maxTokens: 4));
        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Contains(results, r => r.Attempts == 2);
        Server.Behaviour = new Behaviour();
    }

    [Fact]
    public async Task A_refused_connection_during_a_run_is_a_connection_error()
    {
        Server.Behaviour = new Behaviour();
        await using var c = Clients.Create("openai", Server.BaseUrl);
        await c.PrepareAsync(CancellationToken.None);
        // Same client, a port where nothing listens.
        await using var dead = Clients.Create("openai", new Uri($"http://127.0.0.1:{FreePort()}/"));
        var r = await Clients.Ask(dead);
        Assert.Equal(ErrorClass.Connection, r.Error!.Class);
    }

    [Fact]
    public async Task The_api_key_reaches_the_server_header_and_nothing_else()
    {
        Environment.SetEnvironmentVariable("IPW_API_KEY", "sk-test-secret-4242");
        try
        {
            Server.Behaviour = new Behaviour();
            await using var c = Clients.Create("openai", Server.BaseUrl);
            var info = await c.PrepareAsync(CancellationToken.None);
            Assert.DoesNotContain(info.Details.Values, v => v.Contains("sk-test-secret-4242"));
            Assert.Equal("from environment (not recorded)", info.Details["api_key"]);
            var r = await Clients.Ask(c);
            Assert.DoesNotContain("sk-test-secret-4242", r.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("IPW_API_KEY", null);
        }
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
