using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// Conversations in the ShareGPT layout: a JSON array (or JSON Lines) of records whose <c>conversations</c> list holds
/// turns of <c>{"from": "human"|"gpt"|"system", "value": ...}</c> (OpenAI-style role/content works too). The query is
/// the first human turn by default, as serving benchmarks do (<c>turns=last</c> sends the conversation up to its last
/// human turn); the reply that followed becomes the reference, for a judge, and its length is kept as
/// <c>reply_chars</c>. The array is streamed element by element (System.Text.Json), never loaded whole.
/// </summary>
internal sealed class ShareGptDataset : FileDataset
{
    private static readonly RowDefaults Defaults = new([], ["conversations", "messages", "conversation"], "first");
    private readonly string _path;
    private readonly bool _lines;

    public ShareGptDataset(DatasetOptions options) : base(options, "sharegpt", [], Defaults)
    {
        _path = options.Path ?? throw new PluginConfigurationException("sharegpt needs --dataset-path FILE.json");
        if (!File.Exists(_path)) throw new PluginConfigurationException($"{_path}: no such file");
        _lines = FirstByte(_path) == '{';
        Check();
    }

    public override string Identity => $"sharegpt:{Path.GetFileName(_path)}";

    protected override string Source => _path;

    protected override IEnumerable<WorkloadItem> Read(CancellationToken cancellationToken)
    {
        if (_lines)
        {
            foreach (var (line, bytes) in TextLines.Read(_path))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var where = $"{_path} line {line}";
                using var doc = JsonlDataset.ParseObject(bytes, where);
                yield return JsonlDataset.Map(Mapper, doc.RootElement, where, $"line-{line}");
            }
            yield break;
        }

        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var elements = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream, cancellationToken: cancellationToken)
            .ToBlockingEnumerable(cancellationToken).GetEnumerator();
        var item = 0;
        while (true)
        {
            try
            {
                if (!elements.MoveNext()) yield break;
            }
            catch (JsonException e)
            {
                var line = e.LineNumber is { } l ? $" line {l + 1}" : "";
                throw new PluginConfigurationException($"{_path}{line}: not valid JSON, or not a JSON array of conversations ({e.Message.Split(" Path:")[0]})");
            }
            item++;
            var where = $"{_path} item {item}";
            if (elements.Current.ValueKind != JsonValueKind.Object)
                throw new PluginConfigurationException($"{where}: expected a JSON object, got {elements.Current.ValueKind.ToString().ToLowerInvariant()}");
            yield return JsonlDataset.Map(Mapper, elements.Current, where, $"item-{item}");
        }
    }

    private static int FirstByte(string path)
    {
        using var stream = File.OpenRead(path);
        int b;
        while ((b = stream.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF) { }
        return b;
    }
}
