using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>
/// Request fields the user adds with <c>--client-param body.KEY=JSON</c> (e.g. <c>body.chat_template_kwargs={"enable_thinking":false}</c>,
/// <c>body.top_k=20</c>, <c>body.ignore_eos=true</c>), checked once and written into every request body as raw JSON.
/// A value that does not start like JSON (an object, array, string, number, true, false or null) is taken as a string.
/// </summary>
internal sealed class RequestFields
{
    public static readonly RequestFields None = new([]);
    private readonly List<(string Key, byte[] Json)> _fields;

    private RequestFields(List<(string Key, byte[] Json)> fields) => _fields = fields;

    public int Count => _fields.Count;

    public bool Contains(string key) => _fields.Exists(f => f.Key == key);

    public static RequestFields From(ClientOptions options, string prefix, IReadOnlyCollection<string> ownFields)
    {
        var fields = new List<(string, byte[])>();
        foreach (var (name, text) in options.Settings)
        {
            if (!name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            var key = name[prefix.Length..];
            if (key.Length == 0) throw new PluginConfigurationException($"parameter '{name}': name the field, e.g. {prefix}top_k=20");
            if (ownFields.Contains(key))
                throw new PluginConfigurationException($"parameter '{name}': ipw sets '{key}' itself (use its own option, e.g. --max-tokens, --temperature, --seed)");
            fields.Add((key, Json(name, text)));
        }
        return fields.Count == 0 ? None : new RequestFields(fields);
    }

    private static byte[] Json(string name, string text)
    {
        var t = text.Trim();
        var looksLikeJson = t.Length > 0 && (t[0] is '{' or '[' or '"' or '-' || char.IsAsciiDigit(t[0]) || t is "true" or "false" or "null");
        if (!looksLikeJson) return JsonSerializer.SerializeToUtf8Bytes(text);
        try
        {
            using var doc = JsonDocument.Parse(t);
            return JsonSerializer.SerializeToUtf8Bytes(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new PluginConfigurationException($"parameter '{name}': not valid JSON ({e.Message.Split('.')[0]}): {text}");
        }
    }

    /// <summary>The fields as they are sent, for the run's record: <c>key=json, ...</c>.</summary>
    public string Describe() => string.Join(", ", _fields.Select(f => $"{f.Key}={System.Text.Encoding.UTF8.GetString(f.Json)}"));

    /// <summary>Writes each field as a property of the object being written.</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        foreach (var (key, json) in _fields)
        {
            w.WritePropertyName(key);
            w.WriteRawValue(json, skipInputValidation: true);
        }
    }
}
