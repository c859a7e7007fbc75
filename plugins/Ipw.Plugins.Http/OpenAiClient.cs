using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>Which OpenAI-compatible server: the protocol is shared, the extras differ.</summary>
internal enum OpenAiFlavor
{
    /// <summary>Any OpenAI-compatible server.</summary>
    OpenAi,
    /// <summary>vLLM: running usage per chunk, /tokenize, /metrics, min_tokens and ignore_eos.</summary>
    Vllm,
    /// <summary>llama.cpp's server: keeps its timings object.</summary>
    LlamaCpp,
}

/// <summary>
/// <c>/v1/chat/completions</c> (default) or <c>/v1/completions</c>, streamed over server-sent events
/// (System.Net.ServerSentEvents) with <c>stream_options.include_usage</c>.
/// </summary>
internal sealed class OpenAiClient : HttpInferenceClient
{
    private static readonly string[] Endpoints = ["chat", "completions"];
    private readonly OpenAiFlavor _flavor;
    private readonly int? _minTokens;
    private readonly bool _ignoreEos;
    private VllmMetrics? _metricsBefore;

    public OpenAiClient(OpenAiFlavor flavor, ClientOptions options)
        : base(NameOf(flavor), options, DefaultBaseUrl(flavor, options), Endpoints,
            flavor == OpenAiFlavor.Vllm ? ["min_tokens", "ignore_eos"] : [])
    {
        _flavor = flavor;
        if (flavor == OpenAiFlavor.Vllm)
        {
            _minTokens = options.Settings.ContainsKey("min_tokens") ? options.GetInt("min_tokens", 0) : null;
            _ignoreEos = options.GetBool("ignore_eos", false);
        }
    }

    internal static string NameOf(OpenAiFlavor flavor) => flavor switch
    {
        OpenAiFlavor.Vllm => "vllm",
        OpenAiFlavor.LlamaCpp => "llamacpp",
        _ => "openai",
    };

    private static string DefaultBaseUrl(OpenAiFlavor flavor, ClientOptions options) => flavor switch
    {
        OpenAiFlavor.Vllm => "http://127.0.0.1:8000",
        OpenAiFlavor.LlamaCpp => "http://127.0.0.1:8080",
        // A generic server has no usual address: the user must say where it is.
        _ => options.BaseUrl ?? throw new PluginConfigurationException("the openai client needs --client-base-url, e.g. http://127.0.0.1:8000"),
    };

    public override async Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken)
    {
        using var models = await GetJsonAsync("v1/models", $"is the server running and is --client-base-url right?", cancellationToken).ConfigureAwait(false);
        var served = models.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray().Select(m => m.TryGetProperty("id", out var id) ? id.GetString() : null).OfType<string>().ToList()
            : [];
        if (string.IsNullOrEmpty(Options.Model))
        {
            if (served.Count != 1)
                throw new PluginConfigurationException($"--model is required: {Settings.BaseUrl} serves {(served.Count == 0 ? "no model" : string.Join(", ", served))}");
            Model = served[0];
        }
        else if (!served.Contains(Options.Model, StringComparer.Ordinal))
        {
            throw new PluginConfigurationException(
                $"model '{Options.Model}' is not served by {Settings.BaseUrl} (it serves: {(served.Count == 0 ? "nothing" : string.Join(", ", served))}); check --model");
        }
        else Model = Options.Model;

        var details = new Dictionary<string, string>
        {
            ["base_url"] = Settings.BaseUrl.ToString(),
            ["endpoint"] = Settings.Endpoint == "chat" ? "/v1/chat/completions" : "/v1/completions",
            ["served_models"] = string.Join(", ", served),
            ["api_key"] = Http.DefaultRequestHeaders.Authorization is null ? "none" : "from environment (not recorded)",
        };
        if (_flavor == OpenAiFlavor.Vllm) _metricsBefore = await VllmMetrics.ScrapeAsync(Http, cancellationToken).ConfigureAwait(false);
        return new ClientInfo(Model, details);
    }

    protected override HttpRequestMessage BuildRequest(InferenceRequest request)
    {
        var chat = Settings.Endpoint == "chat";
        var p = request.Parameters;
        var message = new HttpRequestMessage(HttpMethod.Post, chat ? "v1/chat/completions" : "v1/completions");
        message.Content = JsonBody.Create(w =>
        {
            w.WriteStartObject();
            w.WriteString("model", Model);
            if (chat)
            {
                JsonBody.WriteMessages(w, request.Messages);
            }
            else w.WriteString("prompt", string.Join("\n\n", request.Messages.Select(m => m.Content)));
            w.WriteBoolean("stream", true);
            w.WriteStartObject("stream_options");
            w.WriteBoolean("include_usage", true);
            // vLLM can report usage in every chunk: exact tokens per chunk instead of an average.
            if (_flavor == OpenAiFlavor.Vllm) w.WriteBoolean("continuous_usage_stats", true);
            w.WriteEndObject();
            w.WriteNumber("max_tokens", p.MaxTokens);
            w.WriteNumber("temperature", p.Temperature);
            if (p.Seed is { } seed) w.WriteNumber("seed", seed);
            if (Settings.TopP is { } topP) w.WriteNumber("top_p", topP);
            if (Settings.TopK is { } topK) w.WriteNumber("top_k", topK);
            if (Settings.Stop is { } stop) w.WriteString("stop", stop);
            if (_minTokens is { } min) w.WriteNumber("min_tokens", min);
            if (_ignoreEos) w.WriteBoolean("ignore_eos", true);
            w.WriteEndObject();
        });
        return message;
    }

    protected override Task ReadStreamAsync(Stream body, StreamState state, CancellationToken cancellationToken) =>
        ReadSseAsync(body, state, cancellationToken);

    /// <summary>The streaming hot path: SSE events parsed straight from bytes into the state.</summary>
    internal static async Task ReadSseAsync(Stream body, StreamState state, CancellationToken cancellationToken)
    {
        var parser = SseParser.Create(body, (_, data) =>
        {
            OpenAiChunkParser.Parse(data, state);
            return true;
        });
        await foreach (var _ in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (state.Completed) break;
        }
    }

    protected override async Task<InferenceResult> CompleteAsync(InferenceRequest request, StreamState state, long sentAt, long completedAt, int attempts, CancellationToken ct)
    {
        // llama.cpp's timings carry token counts when usage is absent.
        if (_flavor == OpenAiFlavor.LlamaCpp)
        {
            if (state.InputTokens is null && state.Timings.TryGetValue("prompt_n", out var promptN)) { state.InputTokens = (long)promptN; state.UsageSource = "server-timings"; }
            if (state.OutputTokens is null && state.Timings.TryGetValue("predicted_n", out var predictedN)) { state.OutputTokens = (long)predictedN; state.UsageSource = "server-timings"; }
        }
        // llama.cpp's prompt tokens taken from its cache (timings.cache_n), where usage did not say.
        if (state.CachedInputTokens is null && state.Timings.TryGetValue("cache_n", out var cacheN)) state.CachedInputTokens = (long)cacheN;
        state.Timings.Remove("cache_n");
        state.Timings.Remove("prompt_n");
        state.Timings.Remove("predicted_n");

        // vLLM without usage: count with the server's own tokenizer, after timing has stopped.
        if (_flavor == OpenAiFlavor.Vllm && state.Error is null && (state.InputTokens is null || state.OutputTokens is null))
        {
            state.InputTokens ??= await TokenizeAsync(request, null, ct).ConfigureAwait(false);
            state.OutputTokens ??= await TokenizeAsync(null, state.Content, ct).ConfigureAwait(false);
            state.UsageSource = "server-tokenize";
        }
        return state.ToResult(sentAt, completedAt, attempts);
    }

    private async Task<long?> TokenizeAsync(InferenceRequest? request, string? text, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "tokenize")
        {
            Content = JsonBody.Create(w =>
            {
                w.WriteStartObject();
                w.WriteString("model", Model);
                if (request is not null && Settings.Endpoint == "chat")
                {
                    JsonBody.WriteMessages(w, request.Messages);
                }
                else
                {
                    w.WriteString("prompt", text ?? string.Join("\n\n", request!.Messages.Select(m => m.Content)));
                    if (text is not null) w.WriteBoolean("add_special_tokens", false);
                }
                w.WriteEndObject();
            }),
        };
        try
        {
            using var response = await Http.SendAsync(message, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            return doc.RootElement.TryGetProperty("count", out var count) ? count.GetInt64()
                : doc.RootElement.TryGetProperty("tokens", out var tokens) ? tokens.GetArrayLength() : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or IOException)
        {
            return null; // counts stay missing (null), never guessed
        }
    }

    public override async Task<IReadOnlyDictionary<string, string>> FinishAsync(CancellationToken cancellationToken)
    {
        if (_flavor != OpenAiFlavor.Vllm) return new Dictionary<string, string>();
        var after = await VllmMetrics.ScrapeAsync(Http, cancellationToken).ConfigureAwait(false);
        return new Dictionary<string, string>
        {
            ["metrics_before"] = _metricsBefore?.ToJson() ?? "null",
            ["metrics_after"] = after?.ToJson() ?? "null",
            ["metrics_delta"] = _metricsBefore is not null && after is not null ? after.DeltaJson(_metricsBefore) : "null",
        };
    }
}

/// <summary>vLLM's Prometheus metrics (<c>/metrics</c>, the <c>vllm:</c> series), scraped before and after a run.</summary>
internal sealed class VllmMetrics(Dictionary<string, double> values)
{
    public IReadOnlyDictionary<string, double> Values => values;

    public static async Task<VllmMetrics?> ScrapeAsync(HttpClient http, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync("metrics", ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            return Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Parses Prometheus text exposition: "name{labels} value" lines; comments skipped.</summary>
    internal static VllmMetrics Parse(string text)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("vllm:", StringComparison.Ordinal)) continue;
            // "name{labels} value [timestamp]": the name ends at the closing brace, or at the first space.
            var close = line.IndexOf('}');
            var split = close > 0 ? close + 1 : line.IndexOf(' ');
            if (split <= 0 || split >= line.Length) continue;
            var name = line[..split];
            var value = line[split..].Trim().Split(' ')[0];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) values[name] = v;
        }
        return new VllmMetrics(values);
    }

    public string ToJson() => JsonSerializer.Serialize(values);

    public string DeltaJson(VllmMetrics before) =>
        JsonSerializer.Serialize(values.Where(p => before.Values.ContainsKey(p.Key))
            .ToDictionary(p => p.Key, p => p.Value - before.Values[p.Key]));
}
