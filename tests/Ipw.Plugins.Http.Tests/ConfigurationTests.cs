using Ipw.Abstractions;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

[Collection("server")]
public sealed class ConfigurationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private InferenceServer Server => fixture.Server;

    [Theory]
    [InlineData("openai")]
    [InlineData("ollama")]
    public void A_malformed_base_url_is_named_with_the_fix(string client)
    {
        var e = Assert.Throws<PluginConfigurationException>(() => Clients.Create(client, new Uri("file:///tmp/x")));
        Assert.Contains("malformed base URL 'file:///tmp/x'", e.Message);
        Assert.Contains("http://127.0.0.1:8000", e.Message);
    }

    [Theory]
    [InlineData("openai", "is the server running")]
    [InlineData("vllm", "is the server running")]
    [InlineData("ollama", "ollama serve")]
    public async Task An_unreachable_service_is_named_with_the_fix(string client, string hint)
    {
        var url = new Uri($"http://127.0.0.1:{FaultTests.FreePort()}/");
        await using var c = Clients.Create(client, url);
        var e = await Assert.ThrowsAsync<PluginConfigurationException>(() => c.PrepareAsync(CancellationToken.None));
        Assert.Contains(url.ToString(), e.Message);
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public async Task A_missing_model_says_how_to_get_it()
    {
        await using var ollama = Clients.Create("ollama", Server.BaseUrl, model: "llama3.2:1b");
        var e = await Assert.ThrowsAsync<PluginConfigurationException>(() => ollama.PrepareAsync(CancellationToken.None));
        Assert.Contains("model llama3.2:1b is not pulled", e.Message);
        Assert.Contains("run `ollama pull llama3.2:1b`", e.Message);

        await using var openai = Clients.Create("openai", Server.BaseUrl, model: "gpt-nope");
        var e2 = await Assert.ThrowsAsync<PluginConfigurationException>(() => openai.PrepareAsync(CancellationToken.None));
        Assert.Contains("model 'gpt-nope' is not served", e2.Message);
        Assert.Contains(InferenceServer.ModelName, e2.Message);
    }

    [Fact]
    public async Task Without_a_model_the_only_served_one_is_used()
    {
        await using var c = Clients.Create("vllm", Server.BaseUrl, model: null);
        Assert.Equal(InferenceServer.ModelName, (await c.PrepareAsync(CancellationToken.None)).Model);
    }

    [Theory]
    [InlineData("openai", "min_tokens")]
    [InlineData("ollama", "ignore_eos")]
    [InlineData("vllm", "temprature")]
    public void An_unknown_parameter_is_an_error_listing_the_known_ones(string client, string key)
    {
        var e = Assert.Throws<PluginConfigurationException>(() => Clients.Create(client, Server.BaseUrl, settings: new() { [key] = "1" }));
        Assert.Contains($"unknown parameter '{key}'", e.Message);
        Assert.Contains("first_token_timeout", e.Message);
    }

    [Fact]
    public void Parameters_are_checked_for_type_and_range()
    {
        Assert.Contains("endpoint", Assert.Throws<PluginConfigurationException>(() => Clients.Create("openai", Server.BaseUrl, settings: new() { ["endpoint"] = "embeddings" })).Message);
        Assert.Contains("retries", Assert.Throws<PluginConfigurationException>(() => Clients.Create("openai", Server.BaseUrl, settings: new() { ["retries"] = "-1" })).Message);
        Assert.Contains("total_timeout", Assert.Throws<PluginConfigurationException>(() => Clients.Create("ollama", Server.BaseUrl, settings: new() { ["total_timeout"] = "soon" })).Message);
        _ = Clients.Create("ollama", Server.BaseUrl, settings: new() { ["option.num_ctx"] = "2048", ["header.X-Team"] = "perf", ["keep_alive"] = "10m" });
        _ = Clients.Create("vllm", Server.BaseUrl, settings: new() { ["min_tokens"] = "8", ["ignore_eos"] = "true" });
    }
}
