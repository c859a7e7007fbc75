using Ipw.Abstractions;

namespace Ipw.Plugins.Http.Tests;

/// <summary>Base URLs as users write them: the OpenAI SDK's trailing /v1, no scheme, the SDKs' environment variables.</summary>
public sealed class AddressTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Theory]
    [InlineData("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/")]
    [InlineData("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/")]
    [InlineData("http://127.0.0.1:8000/", "http://127.0.0.1:8000/")]
    [InlineData("http://127.0.0.1:8000", "http://127.0.0.1:8000/")]
    [InlineData("127.0.0.1:8000", "http://127.0.0.1:8000/")]
    [InlineData("gpu-box:8000/v1", "http://gpu-box:8000/")]
    [InlineData("https://proxy.example/team/v1", "https://proxy.example/team/")]
    [InlineData("http://host:8080/V1", "http://host:8080/")]
    public void An_openai_base_url_names_the_server_root(string given, string root)
    {
        foreach (var client in new[] { "openai", "vllm", "llamacpp" })
            Assert.Equal(root, ServiceAddress.Resolve(client, given, "OPENAI_BASE_URL", "http://127.0.0.1:8000", "v1", NoEnvironment).Root.ToString());
    }

    [Theory]
    [InlineData("0.0.0.0", "http://127.0.0.1:11434/")]
    [InlineData("0.0.0.0:11500", "http://127.0.0.1:11500/")]
    [InlineData("gpu-box", "http://gpu-box:11434/")]
    [InlineData("http://gpu-box", "http://gpu-box:11434/")]
    [InlineData("http://gpu-box:80/api", "http://gpu-box/")]
    [InlineData("https://ollama.example", "https://ollama.example/")]
    public void Ollama_host_is_read_as_ollama_reads_it(string host, string root)
    {
        var address = ServiceAddress.Resolve("ollama", null, "OLLAMA_HOST", "http://127.0.0.1:11434", "api", n => n == "OLLAMA_HOST" ? host : null);
        Assert.Equal(root, address.Root.ToString());
        Assert.Equal("OLLAMA_HOST", address.Source);
    }

    [Fact]
    public void The_flag_wins_over_the_environment_and_the_environment_over_the_default()
    {
        Func<string, string?> env = n => n == "OPENAI_BASE_URL" ? "http://env-host:9000/v1" : null;
        Assert.Equal("http://flag:1/ (from --client-base-url)", ServiceAddress.Resolve("vllm", "flag:1/v1", "OPENAI_BASE_URL", "http://127.0.0.1:8000", "v1", env).ToString());
        Assert.Equal("http://env-host:9000/ (from OPENAI_BASE_URL)", ServiceAddress.Resolve("vllm", null, "OPENAI_BASE_URL", "http://127.0.0.1:8000", "v1", env).ToString());
        Assert.Equal("http://127.0.0.1:8000/ (from default)", ServiceAddress.Resolve("vllm", null, "OPENAI_BASE_URL", "http://127.0.0.1:8000", "v1", NoEnvironment).ToString());
    }

    [Fact]
    public void A_generic_server_without_an_address_says_how_to_give_one()
    {
        var e = Assert.Throws<PluginConfigurationException>(() => ServiceAddress.Resolve("openai", null, "OPENAI_BASE_URL", null, "v1", NoEnvironment));
        Assert.Contains("--client-base-url (or OPENAI_BASE_URL)", e.Message);
    }

    [Theory]
    [InlineData("file:///tmp/x")]
    [InlineData("http://")]
    [InlineData("ftp://host:21")]
    public void A_malformed_base_url_is_named_with_where_it_came_from(string given)
    {
        var e = Assert.Throws<PluginConfigurationException>(() => ServiceAddress.Resolve("openai", given, "OPENAI_BASE_URL", null, "v1", NoEnvironment));
        Assert.Contains($"malformed base URL '{given}' (--client-base-url)", e.Message);
        Assert.Contains("http://127.0.0.1:8000/v1", e.Message);
    }
}
