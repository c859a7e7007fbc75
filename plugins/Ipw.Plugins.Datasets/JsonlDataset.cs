using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// A user's JSON Lines file: one JSON object per line, mapped by the settings every file loader shares
/// (<see cref="RowMapper"/>, <see cref="FileDataset"/>). Errors name the file and line.
/// </summary>
internal sealed class JsonlDataset : FileDataset
{
    private readonly string _path;

    public JsonlDataset(DatasetOptions options) : base(options, "jsonl", [], RowDefaults.Plain)
    {
        _path = options.Path ?? throw new PluginConfigurationException("jsonl needs --dataset-path FILE.jsonl");
        if (!File.Exists(_path)) throw new PluginConfigurationException($"{_path}: no such file");
        Check();
    }

    public override string Identity => $"jsonl:{Path.GetFileName(_path)}";

    protected override string Source => _path;

    protected override IEnumerable<WorkloadItem> Read(CancellationToken cancellationToken)
    {
        foreach (var (line, bytes) in TextLines.Read(_path))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var where = $"{_path} line {line}";
            using var doc = ParseObject(bytes, where);
            yield return Map(Mapper, doc.RootElement, where, $"line-{line}");
        }
    }

    /// <summary>Maps one JSON object to an item; a string that is no text (invalid UTF-8 inside it, an escape that is no
    /// character such as a lone surrogate) is an error at <paramref name="where"/>, as System.Text.Json finds it only when the
    /// string is read.</summary>
    public static WorkloadItem Map(RowMapper mapper, JsonElement row, string where, string id)
    {
        try
        {
            return mapper.Map(new JsonRow(row), where, id);
        }
        catch (InvalidOperationException e)
        {
            throw new PluginConfigurationException($"{where}: {e.Message}");
        }
    }

    /// <summary>Parses one JSON object; a malformed one is an error at <paramref name="where"/>.</summary>
    public static JsonDocument ParseObject(ReadOnlyMemory<byte> bytes, string where)
    {
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span)) throw new PluginConfigurationException($"{where}: invalid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new PluginConfigurationException($"{where}: not valid JSON ({e.Message.Split(" Path:")[0]})");
        }
        if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
        var kind = doc.RootElement.ValueKind.ToString().ToLowerInvariant();
        doc.Dispose();
        throw new PluginConfigurationException($"{where}: expected a JSON object, got {kind}");
    }
}

/// <summary>The non-blank lines of a UTF-8 text file, streamed, with their 1-based line numbers.</summary>
internal static class TextLines
{
    public static IEnumerable<(int Line, ReadOnlyMemory<byte> Bytes)> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        var pending = new MemoryStream();
        var line = 1;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n') continue;
                pending.Write(buffer, start, i - start);
                if (!IsBlank(pending)) yield return (line, pending.GetBuffer().AsMemory(0, (int)pending.Length));
                pending.SetLength(0);
                start = i + 1;
                line++;
            }
            pending.Write(buffer, start, read - start);
        }
        if (!IsBlank(pending)) yield return (line, pending.GetBuffer().AsMemory(0, (int)pending.Length));
    }

    private static bool IsBlank(MemoryStream s)
    {
        foreach (var b in s.GetBuffer().AsSpan(0, (int)s.Length))
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }
}
