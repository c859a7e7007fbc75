using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Plugins.LlamaSharp;

namespace Ipw.Plugins.LlamaSharp.Tests;

/// <summary>Real llama.cpp inference on the built-in model (one thread: these machines have two cores).</summary>
public sealed class LlamaSharpClientTests : IAsyncLifetime
{
    private static readonly string Cache = Directory.CreateTempSubdirectory("ipw-llama-test-").FullName;
    private LlamaSharpClient _client = null!;
    private ClientInfo _info = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("IPW_CACHE_DIR", Cache);
        _client = new LlamaSharpClient(new ClientOptions(null, null, new Dictionary<string, string> { ["threads"] = "1", ["context_size"] = "2048" }));
        _info = await _client.PrepareAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private Task<InferenceResult> Send(string prompt, int maxTokens, int seed = 1) =>
        _client.SendAsync(new InferenceRequest("t", [new ChatMessage("user", prompt)], new GenerationParameters(maxTokens, 0.8, seed)), CancellationToken.None);

    [Fact]
    public void Prepare_reports_the_built_in_model_and_its_hash()
    {
        Assert.Equal("ipw-tiny", _info.Model);
        Assert.Equal(TinyModel.Sha256(_info.Details["path"]), _info.Details["sha256"]);
        Assert.Equal("2048", _info.Details["context_size"]);
        Assert.True(long.Parse(_info.Details["parameters"]) > 300_000);
    }

    [Fact]
    public async Task Generation_runs_to_max_tokens_with_a_stamped_timeline()
    {
        var r = await Send("Tell me about kettles.", 40);
        Assert.Null(r.Error);
        Assert.Equal("length", r.FinishReason);
        Assert.Equal(40, r.Usage!.OutputTokens);
        Assert.Equal("engine", r.Usage.Source);
        Assert.True(r.Usage.InputTokens > 5);
        Assert.Equal(40, r.Chunks.Count);
        Assert.All(r.Chunks, c => Assert.Equal(1, c.Tokens));
        Assert.True(r.SentAt < r.Chunks[0].Timestamp);
        for (var i = 1; i < r.Chunks.Count; i++) Assert.True(r.Chunks[i - 1].Timestamp <= r.Chunks[i].Timestamp);
        Assert.True(r.Chunks[^1].Timestamp <= r.CompletedAt);
        Assert.False(string.IsNullOrWhiteSpace(r.Text));
        Assert.All(r.Text, ch => Assert.True(ch == '\n' || (ch >= ' ' && ch < 0x7F), $"non-printable {(int)ch}"));
        Assert.True(r.ServerTimings["prompt_eval"] > 0 && r.ServerTimings["eval"] > 0);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_text_and_longer_prompts_count_more_tokens()
    {
        var a = await Send("A question about lanterns.", 16, seed: 7);
        var b = await Send("A question about lanterns.", 16, seed: 7);
        Assert.Equal(a.Text, b.Text);
        var longer = await Send(string.Concat(Enumerable.Repeat("A question about lanterns. ", 20)), 4);
        Assert.True(longer.Usage!.InputTokens > a.Usage!.InputTokens * 5);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_a_classified_error_not_an_exception()
    {
        var r = await Send(new string('x', 5000), 4);
        Assert.NotNull(r.Error);
        Assert.Equal(ErrorClass.BadRequest, r.Error!.Class);
        Assert.Contains("context", r.Error.Message);
    }

    [Fact]
    public async Task Cancelling_mid_generation_returns_what_was_generated_as_a_cancelled_query()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
        var r = await _client.SendAsync(new InferenceRequest("c", [new ChatMessage("user", "hi")], new GenerationParameters(1500, 0.8, 1)), cts.Token);
        Assert.Equal(ErrorClass.Cancelled, r.Error!.Class);
        Assert.InRange(r.Usage!.OutputTokens!.Value, 0, 1499);
        Assert.Equal(r.Usage.OutputTokens, r.Chunks.Count);
    }
}

public sealed class ModelPathTests
{
    [Fact]
    public void A_missing_file_a_folder_and_a_non_gguf_file_are_configuration_errors()
    {
        var dir = Directory.CreateTempSubdirectory("ipw-model-").FullName;
        File.WriteAllText(Path.Combine(dir, "text.gguf"), "hello");
        Assert.Contains("does not exist", Assert.Throws<PluginConfigurationException>(() => LlamaSharpClient.ResolveModel(Path.Combine(dir, "none.gguf"))).Message);
        Assert.Contains("is a folder", Assert.Throws<PluginConfigurationException>(() => LlamaSharpClient.ResolveModel(dir)).Message);
        Assert.Contains("not a GGUF file", Assert.Throws<PluginConfigurationException>(() => LlamaSharpClient.ResolveModel(Path.Combine(dir, "text.gguf"))).Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Any_gguf_path_is_accepted_and_labelled_by_its_file_name()
    {
        var dir = Directory.CreateTempSubdirectory("ipw-model-").FullName;
        var path = TinyModel.EnsureWritten(Path.Combine(dir, "My-Model.Q8_0.gguf"));
        var (resolved, label, builtIn) = LlamaSharpClient.ResolveModel(path);
        Assert.Equal(path, resolved);
        Assert.Equal("My-Model.Q8_0", label);
        Assert.False(builtIn);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_bad_thread_setting_is_a_configuration_error()
    {
        var client = new LlamaSharpClient(new ClientOptions(null, null, new Dictionary<string, string> { ["threads"] = "0" }));
        Assert.ThrowsAsync<PluginConfigurationException>(() => client.PrepareAsync(CancellationToken.None)).GetAwaiter().GetResult();
        Assert.Throws<PluginConfigurationException>(() => new LlamaSharpClient(new ClientOptions(null, null, new Dictionary<string, string> { ["threads"] = "two" })));
    }
}
