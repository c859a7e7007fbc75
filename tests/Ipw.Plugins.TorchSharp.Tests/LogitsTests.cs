using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp.Tests;

/// <summary>
/// The engine's logits against <see cref="NaiveForward"/>, an independent plain-C# forward pass, on tiny models the
/// project writes: every position of a prompt in one pass, and again token by token through the key/value cache.
/// </summary>
public sealed class LogitsTests
{
    public static TheoryData<string> Architectures => new() { "llama", "qwen2", "mistral", "gpt2" };

    private static TinyHfModel.Shape ShapeFor(string type) => type switch
    {
        "gpt2" => new TinyHfModel.Shape("gpt2", 32, 2, 4, 4, 128, 64, true),
        "qwen2" => new TinyHfModel.Shape("qwen2", 32, 2, 4, 2, 64, 64, true),
        _ => new TinyHfModel.Shape(type, 32, 2, 4, 2, 64, 64, false),
    };

    private static (CausalLm Model, HfTokenizer Tokenizer, string Folder) Write(string type)
    {
        TorchFixture.Ensure();
        var folder = TorchFixture.NewFolder(type);
        TinyHfModel.Write(folder, ShapeFor(type), seed: 7);
        var config = HfConfig.Load(folder);
        using var _ = no_grad();
        return (CausalLm.Load(folder, config, CPU, ScalarType.Float32), HfTokenizer.Load(folder, config.EosTokenIds, config.BosTokenId), folder);
    }

    private static Dictionary<string, NaiveTensor> NaiveWeights(string folder)
    {
        var result = new Dictionary<string, NaiveTensor>();
        foreach (var (name, t) in Safetensors.LoadStateDict(Path.Combine(folder, "model.safetensors")))
        {
            using (t) result[name] = new NaiveTensor([.. t.shape.Select(d => (int)d)], t.to(float32).data<float>().ToArray());
        }
        return result;
    }

    private static float[,] Reference(string type, string folder, HfConfig c, int[] tokens) => type == "gpt2"
        ? NaiveForward.Gpt2(NaiveWeights(folder), new Gpt2Shape(c.HiddenSize, c.Layers, c.Heads, c.Vocab, c.MaxPositions, c.NormEps), tokens)
        : NaiveForward.Llama(NaiveWeights(folder), new LlamaShape(c.HiddenSize, c.Layers, c.Heads, c.KvHeads, c.Intermediate, c.Vocab,
            c.NormEps, c.RopeTheta, c.TieWordEmbeddings, c.AttentionBias, c.HeadDim), tokens);

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Every_position_of_a_prompt_matches_the_naive_forward_pass(string type)
    {
        var (model, tokenizer, folder) = Write(type);
        using (model)
        {
            var tokens = tokenizer.Encode("The cat and the dog sat in the sun, 42 times.", addBos: false).ToArray();
            Assert.InRange(tokens.Length, 12, 60);
            var expected = Reference(type, folder, model.Config, tokens);

            using var _ = no_grad();
            using var cache = model.NewCache(tokens.Length);
            using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length], int64);
            using var logits = model.Forward(ids, cache, allPositions: true);
            Assert.Equal([tokens.Length, model.Config.Vocab], logits.shape);
            var actual = logits.data<float>().ToArray();

            var worst = 0.0;
            var spread = 0.0;
            for (var p = 0; p < tokens.Length; p++)
            {
                for (var v = 0; v < model.Config.Vocab; v++)
                {
                    worst = Math.Max(worst, Math.Abs(actual[p * model.Config.Vocab + v] - expected[p, v]));
                    spread = Math.Max(spread, Math.Abs(expected[p, v] - expected[p, 0]));
                }
            }
            // The logits vary by whole units across the vocabulary, so agreement to 1e-3 is not an accident of flat outputs.
            Assert.True(spread > 1, $"{type}: reference logits are nearly flat (spread {spread})");
            Assert.True(worst < 1e-3, $"{type}: largest difference from the naive forward pass is {worst}");
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Decoding_through_the_cache_gives_the_same_logits_as_one_pass(string type)
    {
        var (model, tokenizer, folder) = Write(type);
        using (model)
        {
            var tokens = tokenizer.Encode("In the morning, the river is cold.", addBos: false).ToArray();
            var expected = Reference(type, folder, model.Config, tokens);
            using var _ = no_grad();
            using var cache = model.NewCache(tokens.Length);
            const int prefix = 4;
            using (var ids = tensor(tokens[..prefix].Select(t => (long)t).ToArray(), [1, prefix], int64))
            using (var logits = model.Forward(ids, cache))
                AssertRow(expected, prefix - 1, logits.data<float>().ToArray(), type);
            for (var p = prefix; p < tokens.Length; p++)
            {
                using var step = tensor(new[] { (long)tokens[p] }, [1, 1], int64);
                using var logits = model.Forward(step, cache);
                AssertRow(expected, p, logits.data<float>().ToArray(), type);
            }
            Assert.Equal(tokens.Length, cache.Length);
        }
    }

    private static void AssertRow(float[,] expected, int position, float[] actual, string type)
    {
        var worst = 0.0;
        for (var v = 0; v < actual.Length; v++) worst = Math.Max(worst, Math.Abs(actual[v] - expected[position, v]));
        Assert.True(worst < 1e-3, $"{type}: position {position} differs from the naive forward pass by {worst}");
    }

    [Fact]
    public void Bfloat16_weights_load_and_stay_close_to_float32()
    {
        var (model, tokenizer, folder) = Write("llama");
        using (model)
        {
            using var _ = no_grad();
            using var half = CausalLm.Load(folder, model.Config, CPU, ScalarType.BFloat16);
            var tokens = tokenizer.Encode("the cat", addBos: false).Select(t => (long)t).ToArray();
            using var c1 = model.NewCache(tokens.Length);
            using var c2 = half.NewCache(tokens.Length);
            using var ids = tensor(tokens, [1, tokens.Length], int64);
            using var a = model.Forward(ids, c1);
            using var b = half.Forward(ids, c2);
            Assert.Equal(ScalarType.Float32, b.dtype); // logits come back as float32 whatever the weights
            Assert.Equal(a.argmax().item<long>(), b.argmax().item<long>());
            Assert.True((a - b).abs().max().item<float>() < 0.25f);
        }
    }
}
