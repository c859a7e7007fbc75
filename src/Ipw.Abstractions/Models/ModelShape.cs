using System.Text.Json;

namespace Ipw.Abstractions.Models;

/// <summary>
/// What a decoder-only transformer's compute per token depends on, and its FLOPs, defined once for the records
/// (<c>flops_prefill</c>, <c>flops_decode</c>) and the summary. A token at position t (attending t keys, itself
/// included) costs 2 FLOPs per weight it is multiplied by (every matrix but the input embedding, the output head
/// included) plus 4·L·W·t for attention's scores and weighted values (L layers, W = heads × head size): prefill of P
/// tokens is the sum over t = 1..P, and decoding D tokens after them the sum over t = P+1..P+D. Norms, activations,
/// softmax and rotary embeddings are left out (under 1 % at these sizes); a mixture-of-experts model counts every
/// expert, so its FLOPs are an upper bound.
/// </summary>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="MatmulWeights">The weights a token is multiplied by: every matrix but the input embedding.</param>
/// <param name="AttentionWidth">Query heads × head size.</param>
/// <param name="Source">Where the shape came from (a GGUF header's tensors, a config.json).</param>
public sealed record ModelShape(int Layers, long MatmulWeights, long AttentionWidth, string Source)
{
    /// <summary>FLOPs of prefilling <paramref name="prompt"/> tokens.</summary>
    public double PrefillFlops(long prompt) => prompt <= 0 ? 0 : 2.0 * MatmulWeights * prompt + 2.0 * Layers * AttentionWidth * prompt * (prompt + 1);

    /// <summary>FLOPs of decoding <paramref name="generated"/> tokens after a prompt of <paramref name="prompt"/>.</summary>
    public double DecodeFlops(long prompt, long generated)
    {
        if (generated <= 0) return 0;
        double end = prompt + generated, start = Math.Max(0, prompt);
        return 2.0 * MatmulWeights * generated + 2.0 * Layers * AttentionWidth * (end * (end + 1) - start * (start + 1));
    }

    /// <summary>From a GGUF header: the 2-D weights but <c>token_embd</c> (with <c>output.weight</c>, or the embedding
    /// again where the head is tied to it), the architecture's block count, head count and key length.</summary>
    /// <exception cref="ModelFileException">The header lacks what the count needs.</exception>
    public static ModelShape FromGguf(ModelFileInfo file)
    {
        var arch = file.Architecture ?? throw new ModelFileException("the GGUF header names no general.architecture");
        long Key(string name) => file.Metadata.GetValueOrDefault($"{arch}.{name}") switch
        {
            long l => l,
            ulong u => (long)u,
            uint u => u,
            int i => i,
            _ => throw new ModelFileException($"the GGUF header has no {arch}.{name}"),
        };
        var matrices = file.Tensors.Where(t => t.Shape.Count == 2 && t.Name != "token_embd.weight").Sum(t => t.Elements);
        if (!file.Tensors.Any(t => t.Name == "output.weight"))
            matrices += file.Tensors.FirstOrDefault(t => t.Name == "token_embd.weight")?.Elements ?? 0; // a tied head
        var heads = Key("attention.head_count");
        var headSize = file.Metadata.ContainsKey($"{arch}.attention.key_length") ? Key("attention.key_length") : Key("embedding_length") / heads;
        return new ModelShape((int)Key("block_count"), matrices, heads * headSize, $"GGUF tensors ({arch})");
    }

    /// <summary>From a Hugging Face <c>config.json</c> of a Llama-style model (Llama, Mistral, Qwen2, ...): per layer
    /// the query, key, value and output projections and a gated feed-forward (three matrices), and the output head.</summary>
    /// <exception cref="ModelFileException">A field the count needs is missing.</exception>
    public static ModelShape FromConfigJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var c = doc.RootElement;
        long Field(string name, long? fallback = null) =>
            c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64()
            : fallback ?? throw new ModelFileException($"config.json has no {name}");
        var d = Field("hidden_size");
        var heads = Field("num_attention_heads");
        var kv = Field("num_key_value_heads", heads);
        var headSize = Field("head_dim", d / heads);
        var layers = Field("num_hidden_layers");
        var ff = Field("intermediate_size");
        var vocab = Field("vocab_size");
        var perLayer = d * heads * headSize + 2 * d * kv * headSize + heads * headSize * d + 3 * d * ff;
        return new ModelShape((int)layers, layers * perLayer + vocab * d, heads * headSize,
            $"config.json ({(c.TryGetProperty("model_type", out var t) ? t.GetString() : "llama-style")})");
    }
}
