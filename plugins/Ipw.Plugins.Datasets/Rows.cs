using System.Globalization;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// One row of a user's file, whatever its format. Values are <see cref="string"/>, a number or <see cref="bool"/>,
/// a list (<see cref="IReadOnlyList{T}"/> of values), a record (<see cref="IReadOnlyDictionary{TKey, TValue}"/> of
/// values), or null.
/// </summary>
internal interface IRowFields
{
    /// <summary>The row's field names, in file order.</summary>
    IEnumerable<string> Names { get; }

    /// <summary>The value of a field; false when the row has no such field.</summary>
    bool TryGet(string name, out object? value);
}

/// <summary>A row of a JSON object: values are converted when asked for.</summary>
internal readonly struct JsonRow(JsonElement root) : IRowFields
{
    public IEnumerable<string> Names => root.EnumerateObject().Select(p => p.Name);

    public bool TryGet(string name, out object? value)
    {
        if (!root.TryGetProperty(name, out var element)) { value = null; return false; }
        value = Convert(element);
        return true;
    }

    public static object? Convert(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => e.EnumerateArray().Select(Convert).ToList(),
        JsonValueKind.Object => Object(e),
        _ => null,
    };

    /// <summary>An object's members; a name given twice keeps its last value, as most JSON readers do.</summary>
    private static Dictionary<string, object?> Object(JsonElement e)
    {
        var members = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject()) members[p.Name] = Convert(p.Value);
        return members;
    }
}

/// <summary>Field names a format looks for when the user names none.</summary>
/// <param name="Prompt">Candidate prompt fields, in order.</param>
/// <param name="Messages">Candidate conversation fields, used when no prompt field is present.</param>
/// <param name="Turns">Which user turn of a conversation is the query by default: "first" or "last".</param>
internal sealed record RowDefaults(string[] Prompt, string[] Messages, string Turns)
{
    public static readonly RowDefaults Plain = new(["prompt", "problem", "question", "input", "instruction"], ["messages", "conversations", "conversation"], "last");
}

/// <summary>
/// Turns a row into a <see cref="WorkloadItem"/> under the mapping settings every file loader shares:
/// <c>prompt=</c>, <c>messages=</c>, <c>turns=first|last</c>, <c>reference=</c>, <c>subject=</c>, <c>id=</c>,
/// <c>grader=</c>, <c>grader_field=</c> and <c>system=</c>.
/// </summary>
internal sealed class RowMapper
{
    public static readonly string[] Settings = ["prompt", "messages", "turns", "reference", "subject", "id", "grader", "grader_field", "system"];
    private static readonly string[] ReferenceFields = ["answer", "reference"];
    private const int MaxMetadata = 32;

    private readonly string? _prompt, _messages, _reference, _subject, _id, _grader, _graderField, _system;
    private readonly bool _lastTurn, _allTurns;
    private readonly RowDefaults _defaults;

    public RowMapper(IReadOnlyDictionary<string, string> settings, RowDefaults defaults)
    {
        string? Get(string key) => settings.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
        _defaults = defaults;
        _prompt = Get("prompt");
        _messages = Get("messages");
        if (_prompt is not null && _messages is not null) throw new PluginConfigurationException("set prompt= or messages=, not both");
        _reference = Get("reference");
        _subject = Get("subject");
        _id = Get("id");
        _grader = Get("grader");
        _graderField = Get("grader_field");
        _system = Get("system");
        var turns = Get("turns") ?? defaults.Turns;
        (_lastTurn, _allTurns) = turns switch
        {
            "last" => (true, false),
            "first" => (false, false),
            "all" => (false, true),
            _ => throw new PluginConfigurationException($"turns must be first, last or all, got '{turns}'"),
        };
    }

    /// <summary>Maps one row; <paramref name="where"/> ("FILE line 7") starts every error message.</summary>
    public WorkloadItem Map(IRowFields row, string where, string fallbackId)
    {
        string Fields() => string.Join(", ", row.Names);
        var used = new HashSet<string>(StringComparer.Ordinal);
        string? Text(string field, bool required)
        {
            used.Add(field);
            if (!row.TryGet(field, out var v))
                return required ? throw new PluginConfigurationException($"{where}: no '{field}' field (fields: {Fields()})") : null;
            if (v is null) return required ? throw new PluginConfigurationException($"{where}: '{field}' is empty") : null;
            return AsText(v) ?? throw new PluginConfigurationException($"{where}: '{field}' must be text or a number, got {KindOf(v)}");
        }

        var messages = new List<ChatMessage>();
        if (_system is not null) messages.Add(new ChatMessage("system", _system));
        string? reply = null;
        var promptField = _prompt ?? (_messages is null ? _defaults.Prompt.FirstOrDefault(f => row.TryGet(f, out _)) : null);
        if (promptField is not null)
        {
            messages.Add(new ChatMessage("user", Text(promptField, required: true)!));
        }
        else
        {
            var field = _messages ?? _defaults.Messages.FirstOrDefault(f => row.TryGet(f, out _))
                ?? throw new PluginConfigurationException(
                    $"{where}: no prompt field (looked for {string.Join(", ", _defaults.Prompt.Concat(_defaults.Messages))}; set prompt= or messages=; fields: {Fields()})");
            used.Add(field);
            if (!row.TryGet(field, out var list) || list is null)
                throw new PluginConfigurationException($"{where}: no '{field}' field (fields: {Fields()})");
            reply = Conversation(list, where, field, messages);
        }

        var referenceField = _reference ?? ReferenceFields.FirstOrDefault(f => row.TryGet(f, out _));
        var reference = referenceField is null ? reply : Text(referenceField, required: _reference is not null);
        var grader = _graderField is not null ? Text(_graderField, required: false) : reference is not null ? _grader : null;
        var id = _id is not null ? Text(_id, required: true)! : row.TryGet("id", out var idv) && AsText(idv) is { } idText ? idText : fallbackId;
        used.Add("id");
        var subject = Text(_subject ?? "subject", required: _subject is not null);

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reply is not null) metadata["reply_chars"] = reply.Length.ToString(CultureInfo.InvariantCulture);
        foreach (var name in row.Names)
        {
            if (used.Contains(name) || metadata.Count >= MaxMetadata) continue;
            if (row.TryGet(name, out var v)) Flatten(name, v, metadata);
        }
        if (_allTurns) metadata["turns"] = messages.Count(m => m.Role == "user").ToString(CultureInfo.InvariantCulture);
        return new WorkloadItem(id, messages, reference, grader, subject, metadata) { ReplayTurns = _allTurns };
    }

    /// <summary>Reads a conversation into <paramref name="messages"/>, cut after the chosen user turn; returns the
    /// assistant's reply to that turn, if the conversation has one.</summary>
    private string? Conversation(object list, string where, string field, List<ChatMessage> messages)
    {
        if (list is string json)
        {
            try { list = JsonRow.Convert(JsonDocument.Parse(json).RootElement) ?? ""; }
            catch (JsonException) { throw new PluginConfigurationException($"{where}: '{field}' is text but not a JSON list of messages"); }
        }
        if (list is not IReadOnlyList<object?> turns || turns.Count == 0)
            throw new PluginConfigurationException($"{where}: '{field}' must be a non-empty list of messages");
        var parsed = new List<ChatMessage>(turns.Count);
        foreach (var turn in turns)
        {
            if (turn is not IReadOnlyDictionary<string, object?> m
                || AsText(m.GetValueOrDefault("role") ?? m.GetValueOrDefault("from")) is not { } role
                || AsText(m.GetValueOrDefault("content") ?? m.GetValueOrDefault("value")) is not { } content)
                throw new PluginConfigurationException($"{where}: each message in '{field}' needs a role (or from) and a content (or value)");
            parsed.Add(new ChatMessage(Role(role), content));
        }
        var userTurn = _lastTurn ? parsed.FindLastIndex(m => m.Role == "user") : parsed.FindIndex(m => m.Role == "user");
        if (userTurn < 0) throw new PluginConfigurationException($"{where}: '{field}' has no user (human) message");
        if (_allTurns)
        {
            // The whole conversation, replayed turn by turn (WorkloadItem.ReplayTurns); each turn's reply is its reference.
            messages.AddRange(parsed);
            return null;
        }
        messages.AddRange(parsed.Take(userTurn + 1));
        return userTurn + 1 < parsed.Count && parsed[userTurn + 1].Role == "assistant" ? parsed[userTurn + 1].Content : null;
    }

    private static string Role(string role) => role.ToLowerInvariant() switch
    {
        "human" or "user" => "user",
        "gpt" or "assistant" or "model" or "bot" or "chatgpt" or "bard" => "assistant",
        var other => other,
    };

    private static void Flatten(string name, object? value, Dictionary<string, string> into)
    {
        if (into.Count >= MaxMetadata) return;
        if (value is IReadOnlyDictionary<string, object?> record)
        {
            foreach (var (key, inner) in record) Flatten(name + "." + key, inner, into);
            return;
        }
        if (AsText(value) is { Length: <= 256 } text) into[name] = text;
    }

    /// <summary>A scalar as text (numbers in the invariant culture); null for null, lists and records.</summary>
    public static string? AsText(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IReadOnlyList<object?> or IReadOnlyDictionary<string, object?> => null,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string KindOf(object value) => value switch
    {
        IReadOnlyList<object?> => "a list",
        IReadOnlyDictionary<string, object?> => "a record",
        _ => value.GetType().Name,
    };
}
