using Ipw.Abstractions;
using Ipw.Core.Profiling;
using Ipw.Plugins.Http;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

/// <summary>One real inference server for the test class; each test sets the behaviour it needs.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public InferenceServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The server and its clients share this process: enough pool threads from the start that a timed write or
        // read never waits for the pool to grow (it adds about one a second when starved), which would measure that.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(io, 16));
        Environment.SetEnvironmentVariable("IPW_CACHE_DIR", Directory.CreateTempSubdirectory("ipw-http-test-").FullName);
        Server = await InferenceServer.StartAsync();
        // One request per protocol before any test: the engine's first decode and the first use of each serializer
        // on both ends take far longer than the delays the timing tests inject, whichever test happens to run first.
        foreach (var name in new[] { "openai", "ollama" })
        {
            await using var client = Clients.Create(name, Server.BaseUrl);
            await client.PrepareAsync(CancellationToken.None);
            await Clients.Ask(client);
        }
        Server.Served.Clear();
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

internal static class Clients
{
    public static IInferenceClient Create(string name, Uri baseUrl, string? model = InferenceServer.ModelName, Dictionary<string, string>? settings = null) =>
        Create(name, new ClientOptions(model, baseUrl.ToString(), settings ?? []));

    public static IInferenceClient Create(string name, ClientOptions options)
    {
        return name switch
        {
            "ollama" => new OllamaClient(options),
            "vllm" => new OpenAiClient(OpenAiFlavor.Vllm, options),
            "llamacpp" => new OpenAiClient(OpenAiFlavor.LlamaCpp, options),
            _ => new OpenAiClient(OpenAiFlavor.OpenAi, options),
        };
    }

    public static Task<InferenceResult> Ask(IInferenceClient client, int maxTokens = 12, string prompt = "Name three rivers.") =>
        client.SendAsync(new InferenceRequest("q", [new ChatMessage("user", prompt)], new GenerationParameters(maxTokens, 0.8, 3)), CancellationToken.None);

    public static TimelineMetrics Metrics(InferenceResult r) => TimelineMetrics.From(r);
}
