using System.Globalization;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>
/// Ollama's native API: <c>/api/chat</c> (default) or <c>/api/generate</c>, streamed as NDJSON. Checks the
/// model is pulled, loads it before measurement (unless <c>cold_load=true</c>), honours <c>keep_alive</c>,
/// and passes <c>option.NAME=value</c> through as Ollama options.
/// </summary>
internal sealed class OllamaClient : HttpInferenceClient
{
    private const string OptionPrefix = "option.";
    private readonly string? _keepAlive;
    private readonly bool _coldLoad;
    private readonly List<KeyValuePair<string, string>> _passThrough;

    public OllamaClient(ClientOptions options)
        : base("ollama", options, ServiceAddress.Resolve("ollama", options.BaseUrl, "OLLAMA_HOST", "http://127.0.0.1:11434", "api"),
            ["chat", "generate"], ["keep_alive", "cold_load", .. PrefixKeys(options)],
            ["model", "messages", "prompt", "system", "stream", "options", .. options.Settings.ContainsKey("keep_alive") ? new[] { "keep_alive" } : []])
    {
        _keepAlive = options.Settings.GetValueOrDefault("keep_alive");
        _coldLoad = options.GetBool("cold_load", false);
        _passThrough = options.Settings.Where(p => p.Key.StartsWith(OptionPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(p => KeyValuePair.Create(p.Key[OptionPrefix.Length..], p.Value)).ToList();
    }

    private static IEnumerable<string> PrefixKeys(ClientOptions options) =>
        options.Settings.Keys.Where(k => k.StartsWith(OptionPrefix, StringComparison.OrdinalIgnoreCase) && k.Length > OptionPrefix.Length);

    protected override string ProbePath => "api/version";

    public override async Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken)
    {
        var waited = await WaitReadyAsync("api/version", cancellationToken).ConfigureAwait(false);
        string version;
        using (var v = await Probe.GetJsonAsync("api/version", "is `ollama serve` running, and is --client-base-url right?", cancellationToken).ConfigureAwait(false))
            version = v.RootElement.TryGetProperty("version", out var ver) ? ver.GetString() ?? "unknown" : "unknown";
        if (string.IsNullOrEmpty(Options.Model))
            throw new PluginConfigurationException("--model is required for ollama, e.g. --model llama3.2:1b (see `ollama list`)");

        using (var tags = await Probe.GetJsonAsync("api/tags", "is this an Ollama server?", cancellationToken).ConfigureAwait(false))
        {
            var pulled = tags.RootElement.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Array
                ? models.EnumerateArray().SelectMany(m => new[] { Str(m, "name"), Str(m, "model") }).OfType<string>().ToHashSet(StringComparer.Ordinal)
                : [];
            var wanted = Options.Model!;
            if (!pulled.Contains(wanted) && !pulled.Contains(wanted + ":latest"))
                throw new PluginConfigurationException($"model {wanted} is not pulled on {Settings.BaseUrl}; run `ollama pull {wanted}`");
            Model = wanted;
        }

        // Load the model now so the first measured query does not pay for it, or unload it to measure the cold load.
        double? loadSeconds = null;
        using (var load = new HttpRequestMessage(HttpMethod.Post, "api/generate")
        {
            Content = JsonBody.Create(w =>
            {
                w.WriteStartObject();
                w.WriteString("model", Model);
                w.WriteBoolean("stream", false);
                if (_coldLoad) w.WriteNumber("keep_alive", 0);
                else if (_keepAlive is not null) w.WriteString("keep_alive", _keepAlive);
                w.WriteEndObject();
            }),
        })
        {
            try
            {
                using var response = await Http.SendAsync(load, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    var error = await HttpErrors.StatusErrorAsync(response, cancellationToken).ConfigureAwait(false);
                    throw new PluginConfigurationException($"ollama could not load {Model}: {error.Message}");
                }
                using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (doc.RootElement.TryGetProperty("load_duration", out var ld) && ld.ValueKind == JsonValueKind.Number && ld.TryGetInt64(out var ns)) loadSeconds = ns / 1e9;
            }
            catch (HttpRequestException e)
            {
                throw new PluginConfigurationException($"cannot reach ollama at {Settings.BaseUrl} ({e.Message})");
            }
        }

        var shape = await ServerIdentity.ReadOllamaAsync(Probe, version, Model, Identity, cancellationToken).ConfigureAwait(false);
        var details = new Dictionary<string, string>
        {
            ["endpoint"] = Settings.Endpoint == "chat" ? "/api/chat" : "/api/generate",
            ["ollama_version"] = version,
            ["cold_load"] = _coldLoad ? "true: the first query includes loading the model" : "false: loaded before measurement",
        };
        if (loadSeconds is { } s && !_coldLoad) details["prepare_load_s"] = s.ToString("0.######", CultureInfo.InvariantCulture);
        if (_keepAlive is not null) details["keep_alive"] = _keepAlive;
        if (waited is { } w) details["waited_ready_s"] = w.ToString("0.###", CultureInfo.InvariantCulture);
        return Info(details) with { ColdStart = _coldLoad, ModelShape = shape };
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    protected override string StreamMediaType => "application/x-ndjson";

    protected override HttpRequestMessage BuildRequest(InferenceRequest request)
    {
        var chat = Settings.Endpoint == "chat";
        var p = request.Parameters;
        return new HttpRequestMessage(HttpMethod.Post, Route(chat ? "api/chat" : "api/generate"))
        {
            Content = JsonBody.Create(w =>
            {
                w.WriteStartObject();
                w.WriteString("model", Model);
                if (chat)
                {
                    JsonBody.WriteMessages(w, request.Messages, ollama: true);
                    if (request.Tools is { Count: > 0 } tools) JsonBody.WriteTools(w, tools);
                }
                else
                {
                    var system = request.Messages.Where(m => m.Role == "system").Select(m => m.Content).ToList();
                    if (system.Count > 0) w.WriteString("system", string.Join("\n\n", system));
                    w.WriteString("prompt", string.Join("\n\n", request.Messages.Where(m => m.Role != "system").Select(m => m.Content)));
                }
                w.WriteBoolean("stream", true);
                if (_keepAlive is not null) w.WriteString("keep_alive", _keepAlive);
                w.WriteStartObject("options");
                w.WriteNumber("num_predict", p.MaxTokens);
                w.WriteNumber("temperature", p.Temperature);
                if (p.Seed is { } seed) w.WriteNumber("seed", seed);
                if (Settings.TopP is { } topP) w.WriteNumber("top_p", topP);
                if (Settings.TopK is { } topK) w.WriteNumber("top_k", topK);
                if (Settings.Stop is { } stop)
                {
                    w.WriteStartArray("stop");
                    w.WriteStringValue(stop);
                    w.WriteEndArray();
                }
                foreach (var (key, value) in _passThrough)
                {
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) w.WriteNumber(key, number);
                    else if (bool.TryParse(value, out var flag)) w.WriteBoolean(key, flag);
                    else w.WriteString(key, value);
                }
                w.WriteEndObject();
                Settings.Body.WriteTo(w);
                w.WriteEndObject();
            }),
        };
    }

    protected override Task ReadStreamAsync(Stream body, StreamState state, CancellationToken cancellationToken) =>
        NdjsonReader.ReadAsync(body, line => OllamaChunkParser.Parse(line, state), () => state.Completed, cancellationToken);

    protected override async Task<Dictionary<string, string>> ReportServiceAsync(CancellationToken cancellationToken)
    {
        // What is loaded and how much memory it holds, as Ollama reports it (/api/ps).
        try
        {
            using var response = await Http.GetAsync("api/ps", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? new Dictionary<string, string> { ["ollama_ps"] = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false) }
                : new Dictionary<string, string>();
        }
        catch (HttpRequestException)
        {
            return new Dictionary<string, string>();
        }
    }
}
