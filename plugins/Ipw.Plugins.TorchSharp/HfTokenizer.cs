using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ipw.Abstractions;
using Microsoft.ML.Tokenizers;

namespace Ipw.Plugins.TorchSharp;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> turned into a Microsoft.ML.Tokenizers <see cref="BpeTokenizer"/>.
/// <para>Microsoft.ML.Tokenizers 2.0 has no reader for <c>tokenizer.json</c>: this class reads the file and maps it onto
/// <see cref="BpeOptions"/>. Byte-level BPE (GPT-2, Llama 3, Qwen2) is mapped whole: the vocabulary, the merges, the
/// pre-tokenizer's split pattern (a <see cref="PreTokenizer"/> over the file's own regex) and the added tokens, which
/// are cut out of the text first so that special tokens written in a prompt encode as themselves. SentencePiece-style
/// BPE (Llama 2, Mistral: a "▁" metaspace) is mapped with its byte fallback done here: a character outside the
/// vocabulary is spelled as its UTF-8 byte tokens. WordPiece and Unigram models are refused.</para>
/// </summary>
internal sealed class HfTokenizer
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _added;
    private readonly Dictionary<int, string> _addedById;
    private readonly Regex? _addedPattern;
    private readonly bool _metaspace;
    private readonly int[]? _byteTokens;
    private readonly HashSet<string> _known;
    private readonly Dictionary<int, string> _idToToken;

    /// <summary>The token that starts a sequence, when the tokenizer adds one.</summary>
    public int? BosId { get; }

    /// <summary>Whether encoding a prompt adds <see cref="BosId"/> (tokenizer_config's <c>add_bos_token</c>, or the post-processor).</summary>
    public bool AddBos { get; }

    /// <summary>Tokens that end generation.</summary>
    public IReadOnlySet<int> EosIds { get; }

    /// <summary>How chat messages become a prompt.</summary>
    public ChatTemplate Template { get; }

    /// <summary>What kind of tokenizer this is ("byte-level BPE", ...), for summary.json.</summary>
    public string Kind { get; }

    private HfTokenizer(BpeTokenizer bpe, Dictionary<string, int> vocab, Dictionary<string, int> added, bool metaspace, int? bos, bool addBos, HashSet<int> eos, ChatTemplate template, string kind)
    {
        _bpe = bpe;
        _added = added;
        _addedById = added.ToDictionary(p => p.Value, p => p.Key);
        _addedPattern = added.Count == 0 ? null
            : new Regex(string.Join('|', added.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)), RegexOptions.CultureInvariant);
        _metaspace = metaspace;
        // SentencePiece's byte fallback: a character the vocabulary lacks is spelled as its UTF-8 bytes, <0x00>..<0xFF>.
        if (metaspace && Enumerable.Range(0, 256).All(b => vocab.ContainsKey($"<0x{b:X2}>")))
            _byteTokens = [.. Enumerable.Range(0, 256).Select(b => vocab[$"<0x{b:X2}>"])];
        _known = metaspace ? new HashSet<string>(vocab.Keys.Where(k => k.Length <= 2), StringComparer.Ordinal) : [];
        _idToToken = metaspace ? vocab.ToDictionary(p => p.Value, p => p.Key) : [];
        BosId = bos;
        AddBos = addBos;
        EosIds = eos;
        Template = template;
        Kind = kind;
    }

    /// <summary>Reads <c>tokenizer.json</c> (and <c>tokenizer_config.json</c> when present) from a model folder.</summary>
    public static HfTokenizer Load(string folder, IReadOnlyList<int> configEos, int? configBos)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new PluginConfigurationException($"model folder '{folder}' has no tokenizer.json");
        using var doc = HfJson.Parse(path);
        var root = doc.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new PluginConfigurationException($"{path}: no \"model\" object");
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type != "BPE")
            throw new PluginConfigurationException($"{path}: tokenizer model '{type ?? "(none)"}' is not supported (only BPE: GPT-2, Llama, Mistral, Qwen2)");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!model.TryGetProperty("vocab", out var v) || v.ValueKind != JsonValueKind.Object) throw new PluginConfigurationException($"{path}: model.vocab is missing");
        foreach (var p in v.EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();
        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var m) && m.ValueKind == JsonValueKind.Array)
        {
            foreach (var merge in m.EnumerateArray())
            {
                merges.Add(merge.ValueKind == JsonValueKind.Array
                    ? $"{merge[0].GetString()} {merge[1].GetString()}"
                    : merge.GetString() ?? throw new PluginConfigurationException($"{path}: a merge is not a string"));
            }
        }

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var a) && a.ValueKind == JsonValueKind.Array)
            foreach (var token in a.EnumerateArray()) added[token.GetProperty("content").GetString()!] = token.GetProperty("id").GetInt32();

        var pre = root.TryGetProperty("pre_tokenizer", out var p0) ? p0 : default;
        var pattern = FindSplitPattern(pre);
        var byteLevel = HasType(pre, "ByteLevel") || (root.TryGetProperty("decoder", out var dec) && HasType(dec, "ByteLevel"));
        var metaspace = !byteLevel && (HasType(pre, "Metaspace") || (root.TryGetProperty("normalizer", out var norm) && norm.ValueKind == JsonValueKind.Object && norm.GetRawText().Contains('▁')));
        if (!byteLevel && !metaspace)
            throw new PluginConfigurationException($"{path}: neither a byte-level nor a metaspace BPE tokenizer; not supported");
        if (byteLevel && pattern is null && UsesRegex(pre)) pattern = Gpt2Pattern;

        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = byteLevel,
            // Without a pre-tokenizer the library splits words from non-words itself, which would stop merges across that
            // boundary ("▁" + "t" in a metaspace model): a file without a split pattern is given the whole text as one piece.
            PreTokenizer = pattern is null ? new WholeText() : new RegexSplit(new Regex(pattern, RegexOptions.CultureInvariant)),
            UnknownToken = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String ? unk.GetString() : null,
        };
        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new PluginConfigurationException($"{path}: {e.Message}");
        }

        // tokenizer_config.json: the BOS/EOS names, add_bos_token and the chat template.
        string? bosName = null, eosName = null, template = null;
        bool? addBos = null;
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            using var cfg = HfJson.Parse(configPath);
            bosName = TokenName(cfg.RootElement, "bos_token");
            eosName = TokenName(cfg.RootElement, "eos_token");
            if (cfg.RootElement.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False) addBos = ab.GetBoolean();
            if (cfg.RootElement.TryGetProperty("chat_template", out var ct))
            {
                template = ct.ValueKind == JsonValueKind.String ? ct.GetString()
                    : ct.ValueKind == JsonValueKind.Array ? ct.EnumerateArray().Select(x => x.TryGetProperty("template", out var tt) ? tt.GetString() : null).FirstOrDefault(x => x is not null)
                    : null;
            }
        }
        int? Id(string? name) => name is null ? null : added.TryGetValue(name, out var id) ? id : vocab.TryGetValue(name, out id) ? id : null;
        var bos = Id(bosName) ?? configBos;
        // A post-processor that adds the BOS token to every sequence (Llama 3's TemplateProcessing) counts as add_bos.
        if (addBos is null && bos is int b && root.TryGetProperty("post_processor", out var post) && post.ValueKind == JsonValueKind.Object)
            addBos = post.GetRawText().Contains(bosName ?? "\u0000", StringComparison.Ordinal) && HasType(post, "TemplateProcessing") && b >= 0;

        var chat = ChatTemplate.Detect(template, added);
        var eos = new HashSet<int>(configEos);
        if (Id(eosName) is int e0) eos.Add(e0);
        if (chat.EndToken is { } end && Id(end) is int e1) eos.Add(e1);
        var kind = byteLevel ? $"byte-level BPE ({vocab.Count} tokens, {merges.Count} merges{(pattern is null ? "" : ", split pattern from the file")})"
            : $"metaspace BPE ({vocab.Count} tokens, {merges.Count} merges)";
        return new HfTokenizer(bpe, vocab, added, metaspace, bos, addBos ?? false, eos, chat, kind);
    }

    private static string? TokenName(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString()
        : null;

    private static bool HasType(JsonElement e, string type)
    {
        if (e.ValueKind != JsonValueKind.Object) return false;
        if (e.TryGetProperty("type", out var t) && t.GetString() == type) return true;
        foreach (var listName in new[] { "pretokenizers", "normalizers", "decoders", "processors" })
            if (e.TryGetProperty(listName, out var list) && list.ValueKind == JsonValueKind.Array && list.EnumerateArray().Any(x => HasType(x, type)))
                return true;
        return false;
    }

    private static bool UsesRegex(JsonElement pre) =>
        pre.ValueKind == JsonValueKind.Object && (!pre.TryGetProperty("use_regex", out var r) || r.ValueKind != JsonValueKind.False);

    private static string? FindSplitPattern(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        if (e.TryGetProperty("type", out var t) && t.GetString() == "Split" && e.TryGetProperty("pattern", out var p))
            return p.TryGetProperty("Regex", out var rx) ? rx.GetString() : p.TryGetProperty("String", out var s) ? Regex.Escape(s.GetString()!) : null;
        if (e.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array)
            return list.EnumerateArray().Select(FindSplitPattern).FirstOrDefault(x => x is not null);
        return null;
    }

    /// <summary>Encodes text; added tokens written in it (<c>&lt;|im_start|&gt;</c>, ...) encode as themselves.</summary>
    public List<int> Encode(string text, bool addBos)
    {
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos && BosId is int bos) ids.Add(bos);
        var start = 0;
        if (_addedPattern is not null)
        {
            foreach (Match match in _addedPattern.Matches(text))
            {
                EncodePlain(text[start..match.Index], ids, start == 0);
                ids.Add(_added[match.Value]);
                start = match.Index + match.Length;
            }
        }
        EncodePlain(text[start..], ids, start == 0);
        return ids;
    }

    private void EncodePlain(string text, List<int> ids, bool atStart)
    {
        if (text.Length == 0) return;
        if (_metaspace) text = (atStart ? "▁" : "") + text.Replace(' ', '▁');
        if (_byteTokens is null)
        {
            ids.AddRange(_bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false));
            return;
        }
        // No merge can involve a character the vocabulary lacks (merges start from single characters), so cutting the text
        // at such characters and spelling each as byte tokens gives exactly SentencePiece's result.
        var from = 0;
        var i = 0;
        Span<byte> utf8 = stackalloc byte[4];
        while (i < text.Length)
        {
            var rune = System.Text.Rune.GetRuneAt(text, i);
            var width = rune.Utf16SequenceLength;
            if (_known.Contains(text.Substring(i, width))) { i += width; continue; }
            if (i > from) ids.AddRange(_bpe.EncodeToIds(text[from..i], considerPreTokenization: true, considerNormalization: false));
            var n = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < n; b++) ids.Add(_byteTokens[utf8[b]]);
            i += width;
            from = i;
        }
        if (from < text.Length) ids.AddRange(_bpe.EncodeToIds(text[from..], considerPreTokenization: true, considerNormalization: false));
    }

    /// <summary>Decodes ids to text; added tokens are written out as their text.</summary>
    public string Decode(IReadOnlyList<int> ids)
    {
        var text = new StringBuilder();
        var run = new List<int>();
        void Flush()
        {
            if (run.Count == 0) return;
            text.Append(_metaspace ? DecodeMetaspace(run) : _bpe.Decode(run));
            run.Clear();
        }
        foreach (var id in ids)
        {
            if (_addedById.TryGetValue(id, out var s)) { Flush(); text.Append(s); }
            else run.Add(id);
        }
        Flush();
        return text.ToString();
    }

    private string DecodeMetaspace(List<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            var token = _idToToken.GetValueOrDefault(id, "");
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>')
                bytes.Add(Convert.ToByte(token[3..5], 16));
            else bytes.AddRange(Encoding.UTF8.GetBytes(token.Replace('▁', ' ')));
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>The whole text as one piece.</summary>
    private sealed class WholeText : PreTokenizer
    {
        public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
        {
            if (text.Length > 0) yield return (0, text.Length);
        }

        public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => PreTokenize(text.ToString());
    }

    /// <summary>Splits text into the matches of a pattern and the gaps between them (Hugging Face's "Isolated" split).</summary>
    private sealed class RegexSplit(Regex regex) : PreTokenizer
    {
        public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
        {
            var pos = 0;
            for (var m = regex.Match(text); m.Success; m = m.NextMatch())
            {
                if (m.Length == 0) continue;
                if (m.Index > pos) yield return (pos, m.Index - pos);
                yield return (m.Index, m.Length);
                pos = m.Index + m.Length;
            }
            if (pos < text.Length) yield return (pos, text.Length - pos);
        }

        public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => PreTokenize(text.ToString());
    }
}

/// <summary>
/// How chat messages become a prompt. Hugging Face ships a Jinja template in <c>tokenizer_config.json</c>; no maintained
/// .NET Jinja engine is available here, so the template is recognised by its markers and rendered by code for the
/// families the engine runs: ChatML (Qwen2, the built-in model), Llama 3, and Llama 2 / Mistral's [INST]. A model with no
/// template (GPT-2) gets the messages' text joined by blank lines. Template extras (Qwen's default system line, Llama 3.1's
/// date header) are not rendered.
/// </summary>
internal sealed record ChatTemplate(string Family, string? EndToken)
{
    public static ChatTemplate Detect(string? template, IReadOnlyDictionary<string, int> added)
    {
        if (template is null) return new ChatTemplate(added.ContainsKey("<|im_start|>") ? "chatml" : "plain", added.ContainsKey("<|im_end|>") ? "<|im_end|>" : null);
        if (template.Contains("<|im_start|>", StringComparison.Ordinal)) return new ChatTemplate("chatml", "<|im_end|>");
        if (template.Contains("<|start_header_id|>", StringComparison.Ordinal)) return new ChatTemplate("llama3", "<|eot_id|>");
        if (template.Contains("[INST]", StringComparison.Ordinal)) return new ChatTemplate("inst", null);
        return new ChatTemplate("plain", null);
    }

    /// <summary>The prompt text for <paramref name="messages"/>, ending where the assistant's answer starts.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, string? bosText)
    {
        var s = new StringBuilder();
        switch (Family)
        {
            case "chatml":
                foreach (var m in messages) s.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
                s.Append("<|im_start|>assistant\n");
                break;
            case "llama3":
                s.Append(bosText);
                foreach (var m in messages) s.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(m.Content.Trim()).Append("<|eot_id|>");
                s.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                break;
            case "inst":
                {
                    var system = string.Join("\n\n", messages.Where(m => m.Role == "system").Select(m => m.Content));
                    var first = true;
                    foreach (var m in messages.Where(m => m.Role != "system"))
                    {
                        if (m.Role == "assistant") { s.Append(' ').Append(m.Content).Append("</s>"); continue; }
                        s.Append(bosText).Append("[INST] ");
                        if (first && system.Length > 0) s.Append(system).Append("\n\n");
                        s.Append(m.Content).Append(" [/INST]");
                        first = false;
                    }
                    break;
                }
            default:
                s.AppendJoin("\n\n", messages.Select(m => m.Content));
                break;
        }
        return s.ToString();
    }
}
