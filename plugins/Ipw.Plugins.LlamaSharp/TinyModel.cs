using System.Security.Cryptography;
using System.Text;
using Ipw.Abstractions;

namespace Ipw.Plugins.LlamaSharp;

/// <summary>
/// The built-in model: a tiny LLaMA-architecture network with seeded random weights and a real
/// byte-level BPE tokenizer, written as GGUF by the project itself so nothing is downloaded.
/// The same version always produces a byte-identical file.
/// </summary>
public static class TinyModel
{
    /// <summary>The name users type (<c>--model ipw-tiny</c>) and the label used in run folders.</summary>
    public const string Name = "ipw-tiny";

    /// <summary>Bumped whenever the bytes written change.</summary>
    public const int Version = 1;

    public const int EmbeddingLength = 128;
    public const int BlockCount = 2;
    public const int FeedForwardLength = 256;
    public const int HeadCount = 4;
    public const int HeadCountKv = 2;
    public const int ContextLength = 16384;
    private const ulong Seed = 0x1B_57_1A_77;

    /// <summary>The dimension of the residual stream held constant so the final norm pins the logit of
    /// control and non-printable tokens far below the rest: generation never ends early and always
    /// yields printable text, so output lengths are exactly <c>max_tokens</c>.</summary>
    private const float AnchorValue = 8f;
    private const float SuppressedLogitWeight = -4f;

    /// <summary>Special tokens, appended after the byte and merge tokens.</summary>
    public static readonly string[] SpecialTokens = ["<|begin_of_text|>", "<|im_start|>", "<|im_end|>"];

    public const string ChatTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    // Common English pairs, so the tokenizer really merges (priority order).
    private static readonly (string Left, string Right)[] Merges =
    [
        ("Ġ", "t"), ("Ġ", "a"), ("h", "e"), ("i", "n"), ("r", "e"), ("o", "n"), ("Ġt", "he"), ("e", "r"),
        ("a", "t"), ("e", "n"), ("o", "r"), ("Ġ", "s"), ("Ġ", "w"), ("Ġ", "o"), ("Ġ", "c"), ("n", "d"),
        ("i", "s"), ("e", "s"), ("Ġ", "b"), ("i", "t"), ("a", "n"), ("Ġ", "f"), ("Ġ", "p"), ("Ġa", "n"),
        ("Ġan", "d"), ("Ġ", "i"), ("in", "g"), ("Ġ", "m"), ("Ġo", "f"), ("Ġt", "o"), ("Ġ", "h"), ("o", "u"),
        ("e", "d"), ("Ġ", "d"), ("a", "l"), ("Ġi", "n"), ("Ġ", "1"), ("Ġ", "2"), ("Ġ", "T"), ("Ġ", "A"),
    ];

    /// <summary>Where the model lives: <c>$IPW_CACHE_DIR</c>, else the user's cache folder.</summary>
    public static string DefaultPath() => Path.Combine(IpwCache.Root, "models", $"{Name}-v{Version}.gguf");

    /// <summary>Returns the model's path, writing it first if it is missing.</summary>
    public static string EnsureWritten(string? path = null)
    {
        path ??= DefaultPath();
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Atomic: concurrent first uses never see a half-written model.
        AtomicFile.Write(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
            Build().WriteTo(stream);
        });
        return path;
    }

    /// <summary>The vocabulary: 256 byte tokens (GPT-2 byte-to-unicode spelling), merge results, specials.</summary>
    public static IReadOnlyList<string> Vocabulary()
    {
        var tokens = new List<string>(256 + Merges.Length + SpecialTokens.Length);
        var byteChars = ByteToUnicode();
        for (var b = 0; b < 256; b++) tokens.Add(byteChars[b].ToString());
        foreach (var (l, r) in Merges) tokens.Add(l + r);
        tokens.AddRange(SpecialTokens);
        return tokens;
    }

    /// <summary>Builds the GGUF in memory (weights are ~1.5 MB).</summary>
    public static GgufWriter Build() => Build($"{Name}-v{Version}", EmbeddingLength, BlockCount, FeedForwardLength, HeadCount, HeadCountKv);

    /// <summary>A model of the same design and tokenizer with another shape (benchmarks compare engines on larger ones).</summary>
    public static GgufWriter Build(string name, int embedding, int blocks, int feedForward, int heads, int kvHeads)
    {
        var vocab = Vocabulary();
        int nVocab = vocab.Count, nEmbd = embedding, nFf = feedForward;
        var headDim = nEmbd / heads;
        var nEmbdKv = headDim * kvHeads;
        var rng = new SplitMix64(Seed);

        var g = new GgufWriter();
        g.AddString("general.architecture", "llama");
        g.AddString("general.name", name);
        g.AddUInt32("general.file_type", 0);
        g.AddUInt32("llama.context_length", ContextLength);
        g.AddUInt32("llama.embedding_length", (uint)nEmbd);
        g.AddUInt32("llama.block_count", (uint)blocks);
        g.AddUInt32("llama.feed_forward_length", (uint)nFf);
        g.AddUInt32("llama.attention.head_count", (uint)heads);
        g.AddUInt32("llama.attention.head_count_kv", (uint)kvHeads);
        g.AddUInt32("llama.rope.dimension_count", (uint)headDim);
        g.AddUInt32("llama.vocab_size", (uint)nVocab);
        g.AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        g.AddFloat32("llama.rope.freq_base", 10000f);

        g.AddString("tokenizer.ggml.model", "gpt2");
        g.AddString("tokenizer.ggml.pre", "default");
        g.AddStringArray("tokenizer.ggml.tokens", vocab);
        var types = new int[nVocab];
        for (var i = 0; i < nVocab; i++) types[i] = i >= nVocab - SpecialTokens.Length ? 3 /* control */ : 1 /* normal */;
        g.AddInt32Array("tokenizer.ggml.token_type", types);
        g.AddStringArray("tokenizer.ggml.merges", Merges.Select(m => $"{m.Left} {m.Right}").ToArray());
        var bos = nVocab - 3;
        var eos = nVocab - 1;
        g.AddUInt32("tokenizer.ggml.bos_token_id", (uint)bos);
        g.AddUInt32("tokenizer.ggml.eos_token_id", (uint)eos);
        g.AddBool("tokenizer.ggml.add_bos_token", true);
        g.AddString("tokenizer.chat_template", ChatTemplate);

        // Embeddings: random, with the anchor dimension 0 constant.
        var embd = Uniform(rng, nVocab * nEmbd, 1f);
        for (var t = 0; t < nVocab; t++) embd[t * nEmbd] = AnchorValue;
        g.AddTensor("token_embd.weight", embd, (ulong)nEmbd, (ulong)nVocab);

        var attnScale = 1f / MathF.Sqrt(nEmbd);
        var ffScale = 1f / MathF.Sqrt(nFf);
        for (var layer = 0; layer < blocks; layer++)
        {
            var p = $"blk.{layer}.";
            g.AddTensor(p + "attn_norm.weight", Ones(nEmbd), (ulong)nEmbd);
            g.AddTensor(p + "attn_q.weight", Uniform(rng, nEmbd * nEmbd, attnScale), (ulong)nEmbd, (ulong)nEmbd);
            g.AddTensor(p + "attn_k.weight", Uniform(rng, nEmbd * nEmbdKv, attnScale), (ulong)nEmbd, (ulong)nEmbdKv);
            g.AddTensor(p + "attn_v.weight", Uniform(rng, nEmbd * nEmbdKv, attnScale), (ulong)nEmbd, (ulong)nEmbdKv);
            // Output rows for residual dimension 0 are zero: the anchor stays constant through every block.
            g.AddTensor(p + "attn_output.weight", ZeroFirstRow(Uniform(rng, nEmbd * nEmbd, attnScale), nEmbd), (ulong)nEmbd, (ulong)nEmbd);
            g.AddTensor(p + "ffn_norm.weight", Ones(nEmbd), (ulong)nEmbd);
            g.AddTensor(p + "ffn_gate.weight", Uniform(rng, nEmbd * nFf, attnScale), (ulong)nEmbd, (ulong)nFf);
            g.AddTensor(p + "ffn_up.weight", Uniform(rng, nEmbd * nFf, attnScale), (ulong)nEmbd, (ulong)nFf);
            g.AddTensor(p + "ffn_down.weight", ZeroFirstRow(Uniform(rng, nFf * nEmbd, ffScale), nFf), (ulong)nFf, (ulong)nEmbd);
        }

        g.AddTensor("output_norm.weight", Ones(nEmbd), (ulong)nEmbd);
        var output = Uniform(rng, nVocab * nEmbd, 0.5f);
        for (var t = 0; t < nVocab; t++)
            output[t * nEmbd] = IsPrintable(vocab, t, nVocab) ? 0f : SuppressedLogitWeight;
        g.AddTensor("output.weight", output, (ulong)nEmbd, (ulong)nVocab);
        return g;
    }

    /// <summary>SHA-256 of the bytes <see cref="Build"/> writes, for tests and summary.json.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static bool IsPrintable(IReadOnlyList<string> vocab, int token, int nVocab)
    {
        if (token >= nVocab - SpecialTokens.Length) return false;
        if (token >= 256) return true; // merge results are letters and spaces
        return token is >= 0x20 and < 0x7F || token == '\n';
    }

    private static float[] Ones(int n)
    {
        var a = new float[n];
        Array.Fill(a, 1f);
        return a;
    }

    private static float[] ZeroFirstRow(float[] data, int rowLength)
    {
        Array.Clear(data, 0, rowLength);
        return data;
    }

    private static float[] Uniform(SplitMix64 rng, int n, float scale)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    /// <summary>GPT-2's reversible byte-to-unicode map: printable bytes stand for themselves,
    /// the rest map to code points from 256 upward (space becomes 'Ġ', newline 'Ċ').</summary>
    internal static char[] ByteToUnicode()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var keeps = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = keeps ? (char)b : (char)next++;
        }
        return map;
    }

    /// <summary>A tiny seeded generator whose sequence is fixed forever (unlike library RNGs).</summary>
    private sealed class SplitMix64(ulong state)
    {
        public double NextDouble()
        {
            state += 0x9E3779B97F4A7C15;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }

    internal static string Describe() =>
        new StringBuilder().Append($"{Name}-v{Version}: llama, {BlockCount} layers, d={EmbeddingLength}, ")
            .Append($"ff={FeedForwardLength}, heads={HeadCount}/{HeadCountKv} (GQA), vocab={Vocabulary().Count}, F32, seeded random weights")
            .ToString();
}
