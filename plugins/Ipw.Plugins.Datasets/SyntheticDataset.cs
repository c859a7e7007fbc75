using System.Globalization;
using System.Text;
using Ipw.Abstractions;
using MathNet.Numerics.Distributions;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// A synthetic workload for load and scaling tests: <c>count=N</c> prompts whose lengths in tokens are drawn from
/// <c>input_tokens=</c> and whose output lengths (sent as each item's max tokens) are drawn from <c>output_tokens=</c>.
/// A length is a fixed number (<c>512</c>), <c>normal:MEAN,SD</c> or <c>uniform:LOW,HIGH</c> (both ends included);
/// draws are rounded and kept at least 1. The prompt is a seeded sequence of common words, each one token long
/// under <c>tokenizer=cl100k_base</c> (default) or <c>o200k_base</c> (Microsoft.ML.Tokenizers), so its length is exact
/// under that tokenizer. The words ship as lists (Synthetic/*.txt, lower-case words of 3 to 9 letters that the encoding
/// keeps as one token with their leading space and without it, in token-id order): loading a tokenizer and decoding
/// its vocabulary to find them cost 0.3 CPU-s at every start (0.6 for o200k_base), and the tests draw the lists again
/// from the tokenizer and count prompts with it. The model's own tokenizer and chat template will count
/// differently: the records keep the server's count next to the drawn one (metadata <c>input_tokens</c>).
/// </summary>
internal sealed class SyntheticDataset : IDataset
{
    private static readonly string[] Known = ["count", "input_tokens", "output_tokens", "tokenizer", "seed"];
    private readonly int _count, _seed;
    private readonly Length _input, _output;
    private readonly string _encoding;
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
        _words = _encoding is "cl100k_base" or "o200k_base" ? Words(_encoding)
            : throw new PluginConfigurationException($"tokenizer must be cl100k_base or o200k_base, got '{_encoding}'");
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

    /// <summary>The encoding's one-token words, each with its leading space.</summary>
    internal static string[] Words(string encoding)
    {
        using var stream = typeof(SyntheticDataset).Assembly.GetManifestResourceStream($"Ipw.Plugins.Datasets.Synthetic.{encoding}.txt")
            ?? throw new InvalidOperationException($"the {encoding} word list is missing from the plugin");
        using var reader = new StreamReader(stream);
        var words = new List<string>(10_000);
        while (reader.ReadLine() is { Length: > 0 } word) words.Add(" " + word);
        return [.. words];
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
