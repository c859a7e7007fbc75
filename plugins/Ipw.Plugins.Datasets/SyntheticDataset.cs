using System.Globalization;
using System.Text;
using Ipw.Abstractions;
using MathNet.Numerics.Distributions;
using Microsoft.ML.Tokenizers;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// A synthetic workload for load and scaling tests: <c>count=N</c> prompts whose lengths in tokens are drawn from
/// <c>input_tokens=</c> and whose output lengths (sent as each item's max tokens) are drawn from <c>output_tokens=</c>.
/// A length is a fixed number (<c>512</c>), <c>normal:MEAN,SD</c> or <c>uniform:LOW,HIGH</c> (both ends included);
/// draws are rounded and kept at least 1. The prompt is a seeded sequence of common words, each one token long
/// under <c>tokenizer=cl100k_base</c> (default) or <c>o200k_base</c> (Microsoft.ML.Tokenizers), so its length is exact
/// under that tokenizer and every item is checked. The model's own tokenizer and chat template will count
/// differently: the records keep the server's count next to the drawn one (metadata <c>input_tokens</c>).
/// </summary>
internal sealed class SyntheticDataset : IDataset
{
    private static readonly string[] Known = ["count", "input_tokens", "output_tokens", "tokenizer", "seed"];
    private readonly int _count, _seed;
    private readonly Length _input, _output;
    private readonly string _encoding;
    private readonly Tokenizer _tokenizer;
    private readonly string[] _words;

    public SyntheticDataset(DatasetOptions options)
    {
        if (options.Path is not null) throw new PluginConfigurationException("synthetic reads no file; drop --dataset-path");
        var s = options.Settings;
        foreach (var key in s.Keys)
            if (!Known.Contains(key, StringComparer.Ordinal))
                throw new PluginConfigurationException($"synthetic: unknown setting '{key}' (known: {string.Join(", ", Known)})");
        string Get(string key, string fallback) => s.TryGetValue(key, out var v) && v.Length > 0 ? v : fallback;
        _count = Whole("count", Get("count", "100"), 1);
        _seed = Whole("seed", Get("seed", "0"), int.MinValue);
        _input = Length.Parse("input_tokens", Get("input_tokens", "256"));
        _output = Length.Parse("output_tokens", Get("output_tokens", "128"));
        _encoding = Get("tokenizer", "cl100k_base");
        _tokenizer = _encoding switch
        {
            "cl100k_base" or "o200k_base" => TiktokenTokenizer.CreateForEncoding(_encoding),
            _ => throw new PluginConfigurationException($"tokenizer must be cl100k_base or o200k_base, got '{_encoding}'"),
        };
        _words = OneTokenWords(_tokenizer);
    }

    public string Identity => $"synthetic:{_encoding}";

    public int? Count => _count;

    public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default)
    {
        var rng = new Random(_seed);
        var text = new StringBuilder();
        for (var i = 0; i < _count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var inputTokens = _input.Draw(rng);
            var outputTokens = _output.Draw(rng);
            text.Clear();
            for (var k = 0; k < inputTokens; k++) text.Append(_words[rng.Next(_words.Length)]);
            var prompt = text.ToString(1, text.Length - 1); // the first word without its leading space is still one token
            var counted = _tokenizer.CountTokens(prompt);
            if (counted != inputTokens)
                throw new InvalidOperationException($"synthetic prompt {i} has {counted} tokens under {_encoding}, not the {inputTokens} drawn");
            var inv = CultureInfo.InvariantCulture;
            yield return new WorkloadItem($"synthetic-{i + 1:D5}", [new ChatMessage("user", prompt)], null, null, "synthetic",
                new Dictionary<string, string>
                {
                    ["input_tokens"] = inputTokens.ToString(inv),
                    ["output_tokens"] = outputTokens.ToString(inv),
                    ["tokenizer"] = _encoding,
                })
            { MaxTokens = outputTokens };
        }
    }

    /// <summary>Lower-case words of 3 to 9 letters that the tokenizer keeps as one token with their leading space,
    /// alone and at the start of a text, in token-id order.</summary>
    private static string[] OneTokenWords(Tokenizer tokenizer)
    {
        // The vocabulary is not public: decode every id of the encoding's range (o200k_base has about 200 k).
        var words = new List<string>();
        var one = new int[1];
        for (var id = 0; id < 200_000; id++)
        {
            one[0] = id;
            string? w;
            try { w = tokenizer.Decode(one); }
            catch (Exception e) when (e is ArgumentException or KeyNotFoundException or InvalidOperationException) { continue; }
            if (w is { Length: >= 4 and <= 10 } && w[0] == ' ' && !w.AsSpan(1).ContainsAnyExceptInRange('a', 'z')
                && tokenizer.CountTokens(w) == 1 && tokenizer.CountTokens(w[1..]) == 1)
                words.Add(w);
        }
        return words.Count >= 1000 ? [.. words] : throw new InvalidOperationException($"the tokenizer has only {words.Count} one-token words");
    }

    private static int Whole(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min ? n
            : throw new PluginConfigurationException($"{name} must be a whole number{(min > int.MinValue ? $" of at least {min}" : "")}, got '{value}'");

    /// <summary>A token-length distribution: fixed, normal or uniform.</summary>
    private sealed record Length(string Kind, double A, double B)
    {
        public static Length Parse(string name, string text)
        {
            var inv = CultureInfo.InvariantCulture;
            string Error() => $"{name} must be N, normal:MEAN,SD or uniform:LOW,HIGH with positive numbers, got '{text}'";
            if (int.TryParse(text, NumberStyles.Integer, inv, out var fixedLength))
                return fixedLength >= 1 ? new Length("fixed", fixedLength, 0) : throw new PluginConfigurationException(Error());
            var parts = text.Split(':', 2);
            var args = parts.Length == 2 ? parts[1].Split(',') : [];
            if (args.Length != 2 || !double.TryParse(args[0], NumberStyles.Float, inv, out var a) || !double.TryParse(args[1], NumberStyles.Float, inv, out var b))
                throw new PluginConfigurationException(Error());
            return parts[0] switch
            {
                "normal" when a >= 1 && b >= 0 => new Length("normal", a, b),
                "uniform" when a >= 1 && b >= a && a == Math.Floor(a) && b == Math.Floor(b) => new Length("uniform", a, b),
                _ => throw new PluginConfigurationException(Error()),
            };
        }

        public int Draw(Random rng) => Kind switch
        {
            "fixed" => (int)A,
            "normal" => (int)Math.Clamp(Math.Round(Normal.Sample(rng, A, B)), 1, 1_000_000),
            _ => DiscreteUniform.Sample(rng, (int)A, (int)B),
        };
    }
}
