using System.Diagnostics;
using Ipw.Abstractions;
using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp.Tests;

/// <summary>The client on the built-in ipw-tiny-hf model: real generation through libtorch, checked against a
/// cache-free greedy decode, plus sampling, limits and configuration errors.</summary>
public sealed class TorchSharpClientTests
{
    private static InferenceRequest Ask(string text, int maxTokens, double temperature = 0, int? seed = null) =>
        new("q", [new ChatMessage("user", text)], new GenerationParameters(maxTokens, temperature, seed));

    private static async Task<TorchSharpClient> Prepared(params (string, string)[] settings)
    {
        TorchFixture.Ensure();
        var client = new TorchSharpClient(TorchFixture.Options(null, [("threads", "1"), .. settings]));
        await client.PrepareAsync(CancellationToken.None);
        return client;
    }

    [Fact]
    public async Task Greedy_generation_streams_timed_tokens_that_match_a_decode_without_the_cache()
    {
        await using var client = await Prepared();
        var before = Stopwatch.GetTimestamp();
        var result = await client.SendAsync(Ask("Name three rivers.", 12), CancellationToken.None);
        Assert.Null(result.Error);
        var prompt = client.PromptTokens([new ChatMessage("user", "Name three rivers.")]);
        Assert.Equal(prompt.Count, result.Usage!.InputTokens);
        Assert.Equal("engine", result.Usage.Source);
        Assert.InRange(result.Usage.OutputTokens!.Value, 1, 12);
        Assert.Equal(result.Usage.OutputTokens, result.Chunks.Count);
        Assert.True(result.SentAt >= before);
        Assert.True(result.Chunks[0].Timestamp > result.SentAt);
        for (var i = 1; i < result.Chunks.Count; i++) Assert.True(result.Chunks[i].Timestamp >= result.Chunks[i - 1].Timestamp);
        Assert.True(result.CompletedAt >= result.Chunks[^1].Timestamp);
        Assert.True(result.ServerTimings["prompt_eval"] > 0);
        Assert.Equal(result.Usage.OutputTokens == 12 ? "length" : "stop", result.FinishReason);

        // The same tokens from a greedy decode that recomputes the whole sequence every step (no cache).
        var model = client.Model;
        var sequence = prompt.ToList();
        var expected = new List<int>();
        using (no_grad())
        {
            for (var step = 0; step < result.Usage.OutputTokens; step++)
            {
                using var cache = model.NewCache(sequence.Count);
                using var ids = tensor(sequence.Select(t => (long)t).ToArray(), [1, sequence.Count], int64);
                using var logits = model.Forward(ids, cache);
                var next = (int)logits.argmax().item<long>();
                expected.Add(next);
                sequence.Add(next);
            }
        }
        Assert.Equal(client.Tokenizer.Decode(expected), result.Text);

        var again = await client.SendAsync(Ask("Name three rivers.", 12), CancellationToken.None);
        Assert.Equal(result.Text, again.Text);
    }

    [Fact]
    public async Task Sampling_is_reproducible_with_a_seed_and_top_p_near_zero_is_greedy()
    {
        await using var client = await Prepared();
        var a = await client.SendAsync(Ask("Tell me a story.", 24, temperature: 1.5, seed: 11), CancellationToken.None);
        var b = await client.SendAsync(Ask("Tell me a story.", 24, temperature: 1.5, seed: 11), CancellationToken.None);
        var greedy = await client.SendAsync(Ask("Tell me a story.", 24), CancellationToken.None);
        Assert.Equal(a.Text, b.Text);
        var seeds = new HashSet<string> { a.Text };
        for (var seed = 12; seed < 16; seed++) seeds.Add((await client.SendAsync(Ask("Tell me a story.", 24, 1.5, seed), CancellationToken.None)).Text);
        Assert.True(seeds.Count > 1, "five seeds at temperature 1.5 gave one answer");

        await using var nucleus = await Prepared(("top_p", "0.000001"));
        var narrow = await nucleus.SendAsync(Ask("Tell me a story.", 24, temperature: 1.5, seed: 3), CancellationToken.None);
        Assert.Equal(greedy.Text, narrow.Text);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_a_bad_request_not_a_crash()
    {
        await using var client = await Prepared(("context_size", "32"));
        var result = await client.SendAsync(Ask(string.Join(' ', Enumerable.Repeat("river", 100)), 8), CancellationToken.None);
        Assert.Equal(ErrorClass.BadRequest, result.Error!.Class);
        Assert.Contains("does not fit the context of 32 tokens", result.Error.Message);
        var ok = await client.SendAsync(Ask("hi", 100), CancellationToken.None);
        Assert.Null(ok.Error);
        Assert.True(ok.Usage!.InputTokens + ok.Usage.OutputTokens <= 32);
    }

    [Fact]
    public async Task The_built_in_model_reports_its_engine_memory_and_the_libstdcxx_workaround_when_used()
    {
        await using var client = await Prepared();
        var info = await client.PrepareAsync(CancellationToken.None);
        Assert.Equal("ipw-tiny-hf", info.Model);
        Assert.Equal("llama", info.Details["architecture"]);
        Assert.Equal("float32", info.Details["dtype"]);
        Assert.Equal(client.Model.Parameters.ToString(System.Globalization.CultureInfo.InvariantCulture), info.Details["parameters"]);
        Assert.Equal(client.Model.Parameters * 4, long.Parse(info.Details["weight_bytes"], System.Globalization.CultureInfo.InvariantCulture));
        var own = Path.Combine(Path.GetDirectoryName(typeof(TorchSharpClient).Assembly.Location)!, "torchsharp", "libLibTorchSharp.so");
        var missing = TorchNatives.MissingLibStdCxxVersions(own);
        if (missing.Count > 0) Assert.Contains(missing[0], info.Details["libstdcxx_workaround"]);
        else Assert.False(info.Details.ContainsKey("libstdcxx_workaround"));
        await client.SendAsync(Ask("hi", 4), CancellationToken.None);
        var finish = await client.FinishAsync(CancellationToken.None);
        Assert.Contains("peak_kv_cache_bytes", finish["torchsharp_memory"]);
    }

    [Fact]
    public async Task Ignore_eos_runs_every_request_to_max_tokens()
    {
        await using var client = await Prepared(("ignore_eos", "true"));
        var eos = client.Tokenizer.EosIds.Single();
        for (var seed = 0; seed < 4; seed++)
        {
            var result = await client.SendAsync(Ask($"Question {seed}: what now?", 40, temperature: 2.0, seed: seed), CancellationToken.None);
            Assert.Equal(40, result.Usage!.OutputTokens);
            Assert.Equal(40, result.Chunks.Count);
            Assert.Equal("length", result.FinishReason);
        }
        Assert.Equal(TinyHfModel.Vocabulary().ToList().IndexOf("<|im_end|>"), eos);
    }

    [Theory]
    [InlineData("gpus", "1", "unknown parameter 'gpus'")]
    [InlineData("dtype", "int8", "dtype 'int8'")]
    [InlineData("device", "tpu", "device 'tpu'")]
    [InlineData("top_p", "2", "top_p must be in (0, 1]")]
    public async Task Bad_settings_are_one_line_configuration_errors(string key, string value, string message)
    {
        TorchFixture.Ensure();
        var e = await Assert.ThrowsAsync<PluginConfigurationException>(async () =>
        {
            await using var client = new TorchSharpClient(TorchFixture.Options(null, (key, value)));
            await client.PrepareAsync(CancellationToken.None);
        });
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_model_folder_that_is_not_a_model_is_named_in_the_error()
    {
        TorchFixture.Ensure();
        var empty = TorchFixture.NewFolder("not-a-model");
        var e = await Assert.ThrowsAsync<PluginConfigurationException>(async () =>
        {
            await using var client = new TorchSharpClient(TorchFixture.Options(empty));
            await client.PrepareAsync(CancellationToken.None);
        });
        Assert.Contains("has no config.json", e.Message);
        Assert.Contains(empty, e.Message);

        File.WriteAllText(Path.Combine(empty, "config.json"), """{"model_type":"bert","hidden_size":8}""");
        e = await Assert.ThrowsAsync<PluginConfigurationException>(async () =>
        {
            await using var client = new TorchSharpClient(TorchFixture.Options(empty));
            await client.PrepareAsync(CancellationToken.None);
        });
        Assert.Contains("model_type 'bert' is not supported", e.Message);
    }
}
