using Ipw.Abstractions.Models;

namespace Ipw.Plugins.LlamaSharp.Tests;

/// <summary>FLOPs per query (<see cref="ModelShape"/>) against a count by hand: the built-in model's own GGUF, and
/// Llama-3-8B's published shape against the 2·N·tokens rule at short context.</summary>
public sealed class ModelShapeTests
{
    [Fact]
    public void The_built_in_models_flops_are_its_matrices_counted_by_hand()
    {
        var shape = ModelShape.FromGguf(GgufFile.Read(new MemoryStream(TinyModelTests.Bytes())));
        // Per layer: Q and O 128×128, K and V 128×64 (2 KV heads of 32), gate, up and down 128×256; then the head, 128 × vocabulary.
        int d = TinyModel.EmbeddingLength, ff = TinyModel.FeedForwardLength, kv = TinyModel.HeadCountKv * (d / TinyModel.HeadCount);
        long perLayer = 2L * d * d + 2L * d * kv + 3L * d * ff;
        long weights = TinyModel.BlockCount * perLayer + (long)d * TinyModel.Vocabulary().Count;
        Assert.Equal(weights, shape.MatmulWeights);
        Assert.Equal(TinyModel.BlockCount, shape.Layers);
        Assert.Equal(d, shape.AttentionWidth);
        // Token by token: 2 per weight, and 4·L·W·t for attending t positions.
        double Hand(long from, long to)
        {
            var sum = 0.0;
            for (var t = from; t <= to; t++) sum += 2.0 * weights + 4.0 * TinyModel.BlockCount * d * t;
            return sum;
        }
        Assert.Equal(Hand(1, 135), shape.PrefillFlops(135), 1e-9 * Hand(1, 135));
        Assert.Equal(Hand(136, 151), shape.DecodeFlops(135, 16), 1e-9 * Hand(136, 151));
        Assert.Equal(0, shape.DecodeFlops(135, 0));
    }

    [Fact]
    public void Llama_3_8b_at_short_context_is_two_flops_per_weight_per_token()
    {
        // Meta's published config.json for Llama-3-8B (the fields the count reads).
        var shape = ModelShape.FromConfigJson("""
            {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
             "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 128256, "tie_word_embeddings": false}
            """);
        // 8,030,261,248 parameters, less the input embedding (128,256 × 4,096): the weights a token is multiplied by
        // (the norms' 266,240 are in the published count, not in a matrix product).
        const double n = 8_030_261_248 - 128_256.0 * 4096;
        Assert.Equal(n - 266_240, shape.MatmulWeights);
        var rule = 2 * n * 16;
        Assert.InRange(shape.PrefillFlops(16) / rule, 0.99, 1.01);
        Assert.InRange(shape.DecodeFlops(16, 16) / rule, 0.99, 1.01);
        // At 8k tokens of context attention is no longer negligible: the count says so.
        Assert.True(shape.DecodeFlops(8192, 1) > 1.05 * 2 * n);
    }

    [Fact]
    public void A_config_without_what_the_count_needs_says_which_field()
    {
        var e = Assert.Throws<ModelFileException>(() => ModelShape.FromConfigJson("""{"hidden_size": 64}"""));
        Assert.Equal("config.json has no num_attention_heads", e.Message);
    }
}
