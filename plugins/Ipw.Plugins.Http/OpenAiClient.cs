using System.Globalization;
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
/// (<see cref="SseReader"/>) with <c>stream_options.include_usage</c>.
/// </summary>
internal sealed class OpenAiClient : HttpInferenceClient
{
    private static readonly string[] Endpoints = ["chat", "completions"];
    private readonly OpenAiFlavor _flavor;
    private readonly int? _minTokens;
    private readonly bool _ignoreEos;
    private readonly bool _stream;
    private ServerMetrics? _metricsBefore;

    /// <summary>The fields every request body carries, which a <c>body.KEY</c> parameter may not replace.</summary>
    private static readonly string[] OwnFields = ["model", "messages", "prompt", "stream", "stream_options", "max_tokens", "temperature", "seed", "tools"];

    public OpenAiClient(OpenAiFlavor flavor, ClientOptions options)
        : base(NameOf(flavor), options, Address(flavor, options), Endpoints,
            flavor == OpenAiFlavor.Vllm ? ["stream", "min_tokens", "ignore_eos"] : ["stream"],
            [.. OwnFields, .. options.Settings.Keys.Where(k => flavor == OpenAiFlavor.Vllm && k is "min_tokens" or "ignore_eos")])
    {
        _flavor = flavor;
        _stream = options.GetBool("stream", true);
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

    /// <summary>The flag, else OPENAI_BASE_URL (what the OpenAI SDKs read), else the server's usual port; a generic
    /// server has no usual address, so the user must say where it is.</summary>
    private static ServiceAddress Address(OpenAiFlavor flavor, ClientOptions options) =>
        ServiceAddress.Resolve(NameOf(flavor), options.BaseUrl, "OPENAI_BASE_URL", flavor switch
        {
            OpenAiFlavor.Vllm => "http://127.0.0.1:8000",
            OpenAiFlavor.LlamaCpp => "http://127.0.0.1:8080",
            _ => null,
        }, "v1");

    /// <summary>The route that answers once the model is loaded: vLLM's and llama.cpp's /health (503 while loading);
    /// a generic server's model list.</summary>
    private string HealthPath => _flavor == OpenAiFlavor.OpenAi ? "v1/models" : "health";

    public override async Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken)
    {
        var waited = await WaitReadyAsync(HealthPath, cancellationToken).ConfigureAwait(false);
        using var models = await Probe.GetJsonAsync("v1/models", $"is the server running and is --client-base-url right?", cancellationToken).ConfigureAwait(false);
        var entries = models.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray().Where(m => m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String).ToList()
            : [];
        var served = entries.Select(m => m.GetProperty("id").GetString()!).ToList();
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
            ["endpoint"] = Settings.Endpoint == "chat" ? "/v1/chat/completions" : "/v1/completions",
            ["served_models"] = string.Join(", ", served),
            ["api_key"] = Http.DefaultRequestHeaders.Authorization is null ? "none" : "from environment (not recorded)",
        };
        if (waited is { } w) details["waited_ready_s"] = w.ToString("0.###", CultureInfo.InvariantCulture);
        var shape = await ServerIdentity.ReadOpenAiAsync(Probe, _flavor, entries.First(m => m.GetProperty("id").GetString() == Model), Identity, cancellationToken).ConfigureAwait(false);
        return Info(details) with { ModelShape = shape };
    }

    protected override string ProbePath => HealthPath;

    protected override async Task BeginServiceMeasurementAsync(CancellationToken cancellationToken)
    {
        // Read after the warm-up: the run's differences are the measured queries' alone.
        if (MetricsPrefix is { } prefix) _metricsBefore = await ServerMetrics.ScrapeAsync(Http, prefix, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The server's Prometheus series read before and after the run: vLLM's, and llama.cpp's (served with
    /// <c>--metrics</c>); a generic server's are not read.</summary>
    private string? MetricsPrefix => _flavor switch
    {
        OpenAiFlavor.Vllm => "vllm:",
        OpenAiFlavor.LlamaCpp => "llamacpp:",
        _ => null,
    };

    protected override bool Streams => _stream;

    protected override string StreamMediaType => _stream ? "text/event-stream" : "application/json";

    protected override HttpRequestMessage BuildRequest(InferenceRequest request)
    {
        var chat = Settings.Endpoint == "chat";
        var p = request.Parameters;
        var message = new HttpRequestMessage(HttpMethod.Post, Route(chat ? "v1/chat/completions" : "v1/completions"));
        message.Content = JsonBody.Create(w =>
        {
            w.WriteStartObject();
            w.WriteString("model", Model);
            if (chat)
            {
                JsonBody.WriteMessages(w, request.Messages);
                if (request.Tools is { Count: > 0 } tools) JsonBody.WriteTools(w, tools);
            }
            else w.WriteString("prompt", string.Join("\n\n", request.Messages.Select(m => m.Content)));
            w.WriteBoolean("stream", _stream);
            if (_stream)
            {
                w.WriteStartObject("stream_options");
                w.WriteBoolean("include_usage", true);
                // vLLM can report usage in every chunk: exact tokens per chunk instead of an average.
                if (_flavor == OpenAiFlavor.Vllm) w.WriteBoolean("continuous_usage_stats", true);
                w.WriteEndObject();
            }
            w.WriteNumber("max_tokens", p.MaxTokens);
            w.WriteNumber("temperature", p.Temperature);
            if (p.Seed is { } seed) w.WriteNumber("seed", seed);
            if (Settings.TopP is { } topP) w.WriteNumber("top_p", topP);
            if (Settings.TopK is { } topK) w.WriteNumber("top_k", topK);
            if (Settings.Stop is { } stop) w.WriteString("stop", stop);
            if (_minTokens is { } min) w.WriteNumber("min_tokens", min);
            if (_ignoreEos) w.WriteBoolean("ignore_eos", true);
            Settings.Body.WriteTo(w);
            w.WriteEndObject();
        });
        return message;
    }

    protected override Task ReadStreamAsync(Stream body, StreamState state, CancellationToken cancellationToken) =>
        _stream ? ReadSseAsync(body, state, cancellationToken) : ReadWholeAsync(body, state, cancellationToken);

    /// <summary>A whole answer (<c>stream: false</c>): one JSON object with the same fields as a chunk, the choice's
    /// <c>message</c> in place of its <c>delta</c>; read to its end, then parsed once.</summary>
    private static async Task ReadWholeAsync(Stream body, StreamState state, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        state.WholeAnswer = true;
        OpenAiChunkParser.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), state);
        state.Completed = true;
    }

    /// <summary>The streaming hot path: SSE events parsed straight from bytes into the state.</summary>
    internal static Task ReadSseAsync(Stream body, StreamState state, CancellationToken cancellationToken) =>
        SseReader.ReadAsync(body, (type, data) => OpenAiChunkParser.Parse(type, data, state), () => state.Completed, cancellationToken);

    protected override async Task<InferenceResult> CompleteAsync(InferenceRequest request, StreamState state, long sentAt, long completedAt, int attempts, CancellationToken ct)
    {
        // llama.cpp's timings (served as-is by the openai client too): vLLM sends none.
        if (_flavor != OpenAiFlavor.Vllm) LlamaCppTimings.ApplyCounts(state);
        else state.Timings.Clear();

        // vLLM without usage: count with the server's own tokenizer, after timing has stopped. The output is the
        // reasoning and the answer together: both were generated.
        if (_flavor == OpenAiFlavor.Vllm && state.Error is null && (state.InputTokens is null || state.OutputTokens is null))
        {
            state.InputTokens ??= await TokenizeAsync(request, null, ct).ConfigureAwait(false);
            state.OutputTokens ??= await TokenizeAsync(null, (state.Reasoning ?? "") + state.Content, ct).ConfigureAwait(false);
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

    protected override async Task<Dictionary<string, string>> ReportServiceAsync(CancellationToken cancellationToken)
    {
        if (MetricsPrefix is not { } prefix) return new Dictionary<string, string>();
        var after = await ServerMetrics.ScrapeAsync(Http, prefix, cancellationToken).ConfigureAwait(false);
        return ServerMetrics.Report(_metricsBefore, after, _flavor == OpenAiFlavor.LlamaCpp ? "llama-server serves them with --metrics" : null);
    }
}
