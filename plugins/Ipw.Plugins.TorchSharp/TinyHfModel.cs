using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp;

/// <summary>
/// Tiny Hugging Face model folders written by the project: <c>config.json</c>, <c>model.safetensors</c> with seeded random
/// float32 weights, <c>tokenizer.json</c> (a real byte-level BPE: 256 byte tokens, merges of common English pairs, and
/// special tokens) and <c>tokenizer_config.json</c> with a ChatML template. The built-in model, <c>ipw-tiny-hf</c>, is a
/// Llama with the shape of the llamasharp client's <c>ipw-tiny</c> (2 layers, 128 wide, 4 query and 2 key/value heads),
/// so the two engines can be compared on models of the same size. Qwen2 (attention biases, tied embeddings), Mistral and
/// GPT-2 variants are written for tests.
/// </summary>
public static class TinyHfModel
{
    /// <summary>The name users type (<c>--model ipw-tiny-hf</c>).</summary>
    public const string Name = "ipw-tiny-hf";

    /// <summary>Bumped whenever the files written change.</summary>
    public const int Version = 1;

    /// <summary>The special tokens, after the byte and merge tokens.</summary>
    public static readonly string[] SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    private static readonly string[] Merges =
    [
        "Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġt he", "e r", "a t", "e n", "o r", "Ġ s", "Ġ w", "Ġ o", "Ġ c", "n d",
        "i s", "e s", "Ġ b", "i t", "a n", "Ġ f", "Ġ p", "Ġa n", "Ġan d", "Ġ i", "in g", "Ġ m", "Ġo f", "Ġt o", "Ġ h", "o u",
    ];

    /// <summary>The shape of a tiny model.</summary>
    public sealed record Shape(string ModelType, int Hidden, int Layers, int Heads, int KvHeads, int Intermediate, int MaxPositions, bool Tied);

    /// <summary>The built-in model's shape.</summary>
    public static Shape BuiltIn { get; } = new("llama", 128, 2, 4, 2, 256, 16384, false);

    /// <summary>Where the built-in model lives: a folder in the ipw cache.</summary>
    public static string DefaultPath() => Path.Combine(IpwCache.Root, "models", $"{Name}-v{Version}");

    /// <summary>Returns the built-in model's folder, writing it first if it is missing. Needs libtorch loaded.</summary>
    public static string EnsureWritten(string? folder = null)
    {
        folder ??= DefaultPath();
        if (File.Exists(Path.Combine(folder, "model.safetensors"))) return folder;
        var temp = $"{folder}.{Environment.ProcessId}.tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Write(temp, BuiltIn, seed: 0x1B57);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(folder))!);
        try
        {
            Directory.Move(temp, folder); // atomic: concurrent first uses never see a half-written model
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, "model.safetensors")))
        {
            Directory.Delete(temp, recursive: true);
        }
        return folder;
    }

    /// <summary>The vocabulary: 256 byte tokens (GPT-2's byte-to-unicode spelling), merge results, then specials.</summary>
    public static IReadOnlyList<string> Vocabulary()
    {
        var tokens = new List<string>();
        var chars = ByteToUnicode();
        for (var b = 0; b < 256; b++) tokens.Add(chars[b].ToString());
        foreach (var m in Merges) tokens.Add(m.Replace(" ", "", StringComparison.Ordinal));
        tokens.AddRange(SpecialTokens);
        return tokens;
    }

    /// <summary>Writes a model folder. Needs libtorch loaded (the weights are saved through TorchSharp.PyBridge).</summary>
    public static void Write(string folder, Shape shape, int seed)
    {
        Directory.CreateDirectory(folder);
        var vocab = Vocabulary();
        var random = new Random(seed);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        // Seeded normal values around a mean: 0 for weights and biases, 1 for norm scales.
        void Draw(string name, float mean, float std, params long[] dims)
        {
            var n = dims.Aggregate(1L, (a, b) => a * b);
            var data = new float[n];
            for (var i = 0; i < n; i++) data[i] = mean + (float)(Normal(random) * std);
            weights[name] = tensor(data, dims);
        }
        void Add(string name, float std, params long[] dims) => Draw(name, 0, std, dims);
        void Ones(string name, long size, float jitter) => Draw(name, 1, jitter, size);
        var h = shape.Hidden;
        var headDim = h / shape.Heads;
        var v = vocab.Count;
        if (shape.ModelType == "gpt2")
        {
            Add("wte.weight", 0.5f, v, h);
            Add("wpe.weight", 0.1f, shape.MaxPositions, h);
            for (var i = 0; i < shape.Layers; i++)
            {
                var p = $"h.{i}.";
                Ones(p + "ln_1.weight", h, 0.1f);
                Add(p + "ln_1.bias", 0.1f, h);
                Add(p + "attn.c_attn.weight", 0.2f, h, 3 * h);
                Add(p + "attn.c_attn.bias", 0.1f, 3 * h);
                Add(p + "attn.c_proj.weight", 0.2f, h, h);
                Add(p + "attn.c_proj.bias", 0.1f, h);
                Ones(p + "ln_2.weight", h, 0.1f);
                Add(p + "ln_2.bias", 0.1f, h);
                Add(p + "mlp.c_fc.weight", 0.2f, h, shape.Intermediate);
                Add(p + "mlp.c_fc.bias", 0.1f, shape.Intermediate);
                Add(p + "mlp.c_proj.weight", 0.2f, shape.Intermediate, h);
                Add(p + "mlp.c_proj.bias", 0.1f, h);
            }
            Ones("ln_f.weight", h, 0.1f);
            Add("ln_f.bias", 0.1f, h);
        }
        else
        {
            var bias = shape.ModelType == "qwen2";
            Add("model.embed_tokens.weight", 0.5f, v, h);
            for (var i = 0; i < shape.Layers; i++)
            {
                var p = $"model.layers.{i}.";
                Ones(p + "input_layernorm.weight", h, 0.1f);
                Add(p + "self_attn.q_proj.weight", 0.3f, shape.Heads * headDim, h);
                Add(p + "self_attn.k_proj.weight", 0.3f, shape.KvHeads * headDim, h);
                Add(p + "self_attn.v_proj.weight", 0.2f, shape.KvHeads * headDim, h);
                if (bias)
                {
                    Add(p + "self_attn.q_proj.bias", 0.1f, shape.Heads * headDim);
                    Add(p + "self_attn.k_proj.bias", 0.1f, shape.KvHeads * headDim);
                    Add(p + "self_attn.v_proj.bias", 0.1f, shape.KvHeads * headDim);
                }
                Add(p + "self_attn.o_proj.weight", 0.2f, h, shape.Heads * headDim);
                Ones(p + "post_attention_layernorm.weight", h, 0.1f);
                Add(p + "mlp.gate_proj.weight", 0.2f, shape.Intermediate, h);
                Add(p + "mlp.up_proj.weight", 0.2f, shape.Intermediate, h);
                Add(p + "mlp.down_proj.weight", 0.2f, h, shape.Intermediate);
            }
            Ones("model.norm.weight", h, 0.1f);
            if (!shape.Tied) Add("lm_head.weight", 0.5f, v, h);
        }
        try
        {
            Safetensors.SaveStateDict(Path.Combine(folder, "model.safetensors"), weights);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        File.WriteAllText(Path.Combine(folder, "config.json"), Config(shape, v).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TokenizerJson(vocab, shape.ModelType == "gpt2"));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), TokenizerConfig(shape.ModelType == "gpt2"));
    }

    private static JsonObject Config(Shape s, int vocab)
    {
        var eos = Array.IndexOf(SpecialTokens, s.ModelType == "gpt2" ? "<|endoftext|>" : "<|im_end|>") + 256 + Merges.Length;
        if (s.ModelType == "gpt2")
        {
            return new JsonObject
            {
                ["architectures"] = new JsonArray("GPT2LMHeadModel"),
                ["model_type"] = "gpt2",
                ["n_embd"] = s.Hidden,
                ["n_layer"] = s.Layers,
                ["n_head"] = s.Heads,
                ["n_positions"] = s.MaxPositions,
                ["n_inner"] = s.Intermediate,
                ["vocab_size"] = vocab,
                ["layer_norm_epsilon"] = 1e-5,
                ["eos_token_id"] = eos,
                ["bos_token_id"] = eos,
                ["torch_dtype"] = "float32",
            };
        }
        var arch = s.ModelType switch { "qwen2" => "Qwen2ForCausalLM", "mistral" => "MistralForCausalLM", _ => "LlamaForCausalLM" };
        return new JsonObject
        {
            ["architectures"] = new JsonArray(arch),
            ["model_type"] = s.ModelType,
            ["hidden_size"] = s.Hidden,
            ["num_hidden_layers"] = s.Layers,
            ["num_attention_heads"] = s.Heads,
            ["num_key_value_heads"] = s.KvHeads,
            ["intermediate_size"] = s.Intermediate,
            ["max_position_embeddings"] = s.MaxPositions,
            ["vocab_size"] = vocab,
            ["rms_norm_eps"] = 1e-5,
            ["rope_theta"] = 10000.0,
            ["tie_word_embeddings"] = s.Tied,
            ["hidden_act"] = "silu",
            ["eos_token_id"] = eos,
            ["torch_dtype"] = "float32",
        };
    }

    private static string TokenizerJson(IReadOnlyList<string> vocab, bool gpt2)
    {
        var v = new JsonObject();
        for (var i = 0; i < vocab.Count; i++) v[vocab[i]] = i;
        var added = new JsonArray();
        for (var i = 0; i < SpecialTokens.Length; i++)
        {
            added.Add(new JsonObject
            {
                ["id"] = 256 + Merges.Length + i,
                ["content"] = SpecialTokens[i],
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }
        // GPT-2's tokenizer is a plain ByteLevel pre-tokenizer; the Llama-family variants use Llama 3's layout: a Split on an
        // explicit pattern followed by ByteLevel without its own regex.
        JsonNode pre = gpt2
            ? new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true }
            : new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = pre,
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["vocab"] = v,
                ["merges"] = new JsonArray([.. Merges.Select(m => (JsonNode?)JsonValue.Create(m))]),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string TokenizerConfig(bool gpt2)
    {
        var config = new JsonObject
        {
            ["add_bos_token"] = false,
            ["eos_token"] = gpt2 ? "<|endoftext|>" : "<|im_end|>",
            ["model_max_length"] = 16384,
        };
        if (!gpt2)
        {
            config["chat_template"] = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
                "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        }
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A description for summary.json.</summary>
    public static string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Name} v{Version}: Llama, {BuiltIn.Layers} layers, hidden {BuiltIn.Hidden}, {BuiltIn.Heads} heads ({BuiltIn.KvHeads} kv), " +
        $"{Vocabulary().Count} tokens, seeded random float32 weights written by ipw");

    private static double Normal(Random r) =>
        Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>GPT-2's reversible byte-to-printable-character map.</summary>
    internal static char[] ByteToUnicode()
    {
        var map = new char[256];
        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }

    internal static string Spell(string text) => new([.. Encoding.UTF8.GetBytes(text).Select(b => ByteToUnicode()[b])]);
}
