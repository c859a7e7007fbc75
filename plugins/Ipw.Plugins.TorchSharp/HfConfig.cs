using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.TorchSharp;

/// <summary>The architecture families the engine implements.</summary>
internal enum HfArchitecture
{
    /// <summary>Llama, Mistral and Qwen2: RMSNorm, rotary positions, grouped-query attention, SwiGLU.</summary>
    Llama,
    /// <summary>GPT-2: LayerNorm, learned positions, fused QKV (Conv1D), GELU.</summary>
    Gpt2,
}

/// <summary>The parts of a Hugging Face <c>config.json</c> the engine needs, checked on load.</summary>
internal sealed record HfConfig(
    string ModelType,
    HfArchitecture Architecture,
    int HiddenSize,
    int Layers,
    int Heads,
    int KvHeads,
    int HeadDim,
    int Intermediate,
    int Vocab,
    int MaxPositions,
    double NormEps,
    double RopeTheta,
    RopeScaling? Rope,
    bool TieWordEmbeddings,
    bool AttentionBias,
    int? SlidingWindow,
    string? TorchDtype,
    int[] EosTokenIds,
    int? BosTokenId)
{
    public static HfConfig Load(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new PluginConfigurationException($"model folder '{folder}' has no config.json");
        using var doc = HfJson.Parse(path);
        return Parse(doc.RootElement, path);
    }

    internal static HfConfig Parse(JsonElement root, string where)
    {
        var type = Str(root, "model_type") ?? throw new PluginConfigurationException($"{where}: no model_type");
        int Req(params string[] names)
        {
            foreach (var n in names)
                if (root.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number) return v.GetInt32();
            throw new PluginConfigurationException($"{where}: {names[0]} is missing or not a number");
        }
        int? Opt(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
        double OptD(string name, double fallback) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        bool OptB(string name, bool fallback) => root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

        var eos = new List<int>();
        if (root.TryGetProperty("eos_token_id", out var e))
        {
            if (e.ValueKind == JsonValueKind.Number) eos.Add(e.GetInt32());
            else if (e.ValueKind == JsonValueKind.Array) eos.AddRange(e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number).Select(x => x.GetInt32()));
        }
        var dtype = Str(root, "torch_dtype") ?? Str(root, "dtype");

        switch (type)
        {
            case "llama" or "mistral" or "qwen2":
                {
                    var hidden = Req("hidden_size");
                    var heads = Req("num_attention_heads");
                    var kv = Opt("num_key_value_heads") ?? heads;
                    var headDim = Opt("head_dim") ?? hidden / heads;
                    if (heads % kv != 0) throw new PluginConfigurationException($"{where}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}");
                    RopeScaling? rope = null;
                    if (root.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object)
                        rope = RopeScaling.Parse(rs, where);
                    return new HfConfig(type, HfArchitecture.Llama, hidden, Req("num_hidden_layers"), heads, kv, headDim, Req("intermediate_size"),
                        Req("vocab_size"), Opt("max_position_embeddings") ?? 2048, OptD("rms_norm_eps", 1e-6), OptD("rope_theta", 10000), rope,
                        OptB("tie_word_embeddings", false), OptB("attention_bias", type == "qwen2"),
                        OptB("use_sliding_window", type == "mistral") ? Opt("sliding_window") : null, dtype, [.. eos], Opt("bos_token_id"));
                }
            case "gpt2":
                {
                    var hidden = Req("n_embd", "hidden_size");
                    var heads = Req("n_head", "num_attention_heads");
                    return new HfConfig(type, HfArchitecture.Gpt2, hidden, Req("n_layer", "num_hidden_layers"), heads, heads, hidden / heads,
                        Opt("n_inner") ?? 4 * hidden, Req("vocab_size"), Opt("n_positions") ?? Opt("n_ctx") ?? 1024, OptD("layer_norm_epsilon", 1e-5), 0, null,
                        true, true, null, dtype, [.. eos], Opt("bos_token_id"));
                }
            default:
                throw new PluginConfigurationException($"{where}: model_type '{type}' is not supported (supported: llama, mistral, qwen2, gpt2)");
        }
    }

    private static string? Str(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary><c>rope_scaling</c>: only Llama 3's frequency-dependent scaling ("llama3") is implemented.</summary>
internal sealed record RopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions)
{
    public static RopeScaling Parse(JsonElement e, string where)
    {
        var type = (e.TryGetProperty("rope_type", out var t) || e.TryGetProperty("type", out t)) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "default";
        if (type == "default") return new RopeScaling(type, 1, 1, 1, 0);
        if (type != "llama3") throw new PluginConfigurationException($"{where}: rope_scaling type '{type}' is not supported (supported: llama3)");
        double D(string n) => e.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : throw new PluginConfigurationException($"{where}: rope_scaling.{n} is missing");
        return new RopeScaling(type, D("factor"), D("low_freq_factor"), D("high_freq_factor"), (int)D("original_max_position_embeddings"));
    }

    /// <summary>Llama 3's rescaling of the rotary inverse frequencies (long wavelengths slowed by <see cref="Factor"/>,
    /// short ones kept, the band between interpolated).</summary>
    public double[] Apply(double[] invFreq)
    {
        if (Type != "llama3") return invFreq;
        var lowWavelen = OriginalMaxPositions / LowFreqFactor;
        var highWavelen = OriginalMaxPositions / HighFreqFactor;
        var result = new double[invFreq.Length];
        for (var i = 0; i < invFreq.Length; i++)
        {
            var wavelen = 2 * Math.PI / invFreq[i];
            if (wavelen < highWavelen) result[i] = invFreq[i];
            else if (wavelen > lowWavelen) result[i] = invFreq[i] / Factor;
            else
            {
                var smooth = (OriginalMaxPositions / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                result[i] = (1 - smooth) * invFreq[i] / Factor + smooth * invFreq[i];
            }
        }
        return result;
    }
}

/// <summary>The model folder's JSON files (config, tokenizer, shard index): a malformed one is a configuration error naming it.</summary>
internal static class HfJson
{
    /// <exception cref="PluginConfigurationException">The file is not valid JSON.</exception>
    public static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new PluginConfigurationException($"{path}: not valid JSON ({e.Message})");
        }
    }
}
