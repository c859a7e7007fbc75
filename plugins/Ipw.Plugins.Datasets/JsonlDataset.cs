using System.Globalization;
using System.Text;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// A user's JSON Lines file: one JSON object per line. The file is checked once when the dataset is created
/// (streaming, so its size does not matter): a malformed line or a missing field is an error naming the file and
/// line before any request is sent. Items are then read lazily. Settings:
/// <list type="bullet">
/// <item><c>prompt=FIELD</c> (default: the first of prompt, problem, question, input), or <c>messages=FIELD</c> for an
/// OpenAI-style list of {role, content};</item>
/// <item><c>reference=FIELD</c> (default: answer or reference, when present), <c>subject=FIELD</c> (default: subject),
/// <c>id=FIELD</c> (default: id, else the line number), <c>grader=NAME</c> for every row with a reference, or
/// <c>grader_field=FIELD</c> per row;</item>
/// <item><c>system=TEXT</c>: a system message before each prompt;</item>
/// <item><c>shuffle=true</c>, <c>sample=N</c>, <c>seed=S</c>: a seeded shuffle and/or the first N rows. Shuffling keeps one
/// offset per row (8 bytes), never the rows.</item>
/// </list>
/// </summary>
internal sealed class JsonlDataset : IDataset
{
    private static readonly string[] Known = ["prompt", "messages", "reference", "subject", "id", "grader", "grader_field", "system", "shuffle", "sample", "seed"];
    private static readonly string[] PromptFields = ["prompt", "problem", "question", "input"];
    private static readonly string[] ReferenceFields = ["answer", "reference"];

    private readonly string _path;
    private readonly string? _promptField, _messagesField, _referenceField, _subjectField, _idField, _grader, _graderField, _system;
    private readonly bool _shuffle;
    private readonly int? _sample;
    private readonly int _seed;
    private readonly (long Offset, int Line)[]? _order;
    private readonly int _rows;

    public JsonlDataset(DatasetOptions options)
    {
        _path = options.Path ?? throw new PluginConfigurationException("jsonl needs --dataset-path FILE.jsonl");
        if (!File.Exists(_path)) throw new PluginConfigurationException($"{_path}: no such file");
        var s = options.Settings;
        foreach (var key in s.Keys)
            if (!Known.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw new PluginConfigurationException($"unknown setting '{key}' (known: {string.Join(", ", Known)})");
        string? Get(string key) => s.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
        _promptField = Get("prompt");
        _messagesField = Get("messages");
        if (_promptField is not null && _messagesField is not null) throw new PluginConfigurationException("set prompt= or messages=, not both");
        _referenceField = Get("reference");
        _subjectField = Get("subject");
        _idField = Get("id");
        _grader = Get("grader");
        _graderField = Get("grader_field");
        _system = Get("system");
        _shuffle = Get("shuffle") is { } sh && (bool.TryParse(sh, out var b) ? b : throw new PluginConfigurationException($"shuffle must be true or false, got '{sh}'"));
        if (Get("sample") is { } sm)
            _sample = int.TryParse(sm, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
                : throw new PluginConfigurationException($"sample must be a whole number of at least 1, got '{sm}'");
        if (Get("seed") is { } sd)
            _seed = int.TryParse(sd, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                : throw new PluginConfigurationException($"seed must be a whole number, got '{sd}'");

        // One streaming pass: check every line, count the rows, and keep offsets only when shuffling.
        var offsets = _shuffle ? new List<(long, int)>() : null;
        foreach (var (line, offset, bytes) in Lines())
        {
            _ = Parse(line, bytes);
            offsets?.Add((offset, line));
            _rows++;
        }
        if (_rows == 0) throw new PluginConfigurationException($"{_path}: no rows");
        if (offsets is not null)
        {
            var order = offsets.ToArray();
            new Random(_seed).Shuffle(order);
            _order = order;
        }
    }

    public string Identity => $"jsonl:{Path.GetFileName(_path)}";

    public int? Count => Math.Min(_rows, _sample ?? int.MaxValue);

    public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default)
    {
        var limit = Count!.Value;
        var done = 0;
        if (_order is null)
        {
            foreach (var (line, _, bytes) in Lines())
            {
                if (done++ >= limit) yield break;
                cancellationToken.ThrowIfCancellationRequested();
                yield return Parse(line, bytes);
            }
            yield break;
        }
        // Shuffled: read each row at its offset (positional reads of a small buffer, grown for long rows).
        using var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var buffer = new byte[1024];
        foreach (var (offset, line) in _order)
        {
            if (done++ >= limit) yield break;
            cancellationToken.ThrowIfCancellationRequested();
            var length = 0;
            while (true)
            {
                var read = RandomAccess.Read(handle, buffer.AsSpan(length), offset + length);
                var newline = buffer.AsSpan(length, read).IndexOf((byte)'\n');
                if (newline >= 0) { length += newline; break; }
                length += read;
                if (read == 0) break;
                if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            }
            yield return Parse(line, buffer.AsMemory(0, length).ToArray());
        }
    }

    /// <summary>The file's non-blank lines: line number, byte offset and bytes (UTF-8, without the newline).</summary>
    private IEnumerable<(int Line, long Offset, ReadOnlyMemory<byte> Bytes)> Lines()
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        var pending = new MemoryStream();
        long position = 0, lineStart = 0;
        var line = 1;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != '\n') continue;
                pending.Write(buffer, start, i - start);
                if (!IsBlank(pending)) yield return Row(line, lineStart, pending);
                pending.SetLength(0);
                start = i + 1;
                line++;
                lineStart = position + i + 1;
            }
            pending.Write(buffer, start, read - start);
            position += read;
        }
        if (!IsBlank(pending)) yield return Row(line, lineStart, pending);
    }

    private static (int, long, ReadOnlyMemory<byte>) Row(int line, long offset, MemoryStream pending) =>
        (line, offset, pending.GetBuffer().AsMemory(0, (int)pending.Length).ToArray());

    private static bool IsBlank(MemoryStream s)
    {
        var span = s.GetBuffer().AsSpan(0, (int)s.Length);
        foreach (var b in span)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    private WorkloadItem Parse(int line, ReadOnlyMemory<byte> bytes)
    {
        string Where() => $"{_path} line {line}";
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new PluginConfigurationException($"{Where()}: not valid JSON ({e.Message.Split(" Path:")[0]})");
        }
        if (root.ValueKind != JsonValueKind.Object) throw new PluginConfigurationException($"{Where()}: expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");

        string Fields() => string.Join(", ", root.EnumerateObject().Select(p => p.Name));
        string? Text(string field, bool required)
        {
            if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
                return required ? throw new PluginConfigurationException($"{Where()}: no '{field}' field (fields: {Fields()})") : null;
            return v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
                _ => throw new PluginConfigurationException($"{Where()}: '{field}' must be text or a number, got {v.ValueKind.ToString().ToLowerInvariant()}"),
            };
        }

        var messages = new List<ChatMessage>();
        if (_system is not null) messages.Add(new ChatMessage("system", _system));
        if (_messagesField is not null)
        {
            if (!root.TryGetProperty(_messagesField, out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
                throw new PluginConfigurationException($"{Where()}: '{_messagesField}' must be a non-empty list of {{role, content}}");
            foreach (var m in list.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || !m.TryGetProperty("content", out var content)
                    || role.ValueKind != JsonValueKind.String || content.ValueKind != JsonValueKind.String)
                    throw new PluginConfigurationException($"{Where()}: each message in '{_messagesField}' needs string 'role' and 'content'");
                messages.Add(new ChatMessage(role.GetString()!, content.GetString()!));
            }
        }
        else
        {
            var field = _promptField ?? PromptFields.FirstOrDefault(f => root.TryGetProperty(f, out _))
                ?? throw new PluginConfigurationException($"{Where()}: no prompt field (looked for {string.Join(", ", PromptFields)}; set prompt=FIELD; fields: {Fields()})");
            messages.Add(new ChatMessage("user", Text(field, required: true)!));
        }

        var referenceField = _referenceField ?? ReferenceFields.FirstOrDefault(f => root.TryGetProperty(f, out _));
        var reference = referenceField is null ? null : Text(referenceField, required: _referenceField is not null);
        var grader = _graderField is not null ? Text(_graderField, required: false) : reference is not null ? _grader : null;
        var id = _idField is not null ? Text(_idField, required: true)! : root.TryGetProperty("id", out var idv) && idv.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? (idv.ValueKind == JsonValueKind.String ? idv.GetString()! : idv.GetRawText()) : $"line-{line}";
        var subject = Text(_subjectField ?? "subject", required: _subjectField is not null);
        return new WorkloadItem(id, messages, reference, grader, subject, new Dictionary<string, string> { ["line"] = line.ToString(CultureInfo.InvariantCulture) });
    }
}
