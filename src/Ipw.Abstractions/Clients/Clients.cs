namespace Ipw.Abstractions;

/// <summary>Options passed to a client factory.</summary>
/// <param name="Model">The model name or path the user gave (null: the client's default).</param>
/// <param name="BaseUrl">The service's base URL, for HTTP clients.</param>
/// <param name="Settings">Further key=value settings (e.g. "threads", "context_size").</param>
public sealed record ClientOptions(string? Model, string? BaseUrl, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>How long to wait for a service that is still starting (connection refused, 503 while loading) before
    /// preparing; null: do not wait.</summary>
    public TimeSpan? WaitReady { get; init; }

    /// <summary>Rejects settings the client does not know: an unknown parameter is an error, never silently ignored.
    /// Keys starting with one of <paramref name="prefixes"/> (e.g. "header.") are accepted as a family.</summary>
    /// <exception cref="PluginConfigurationException">A setting is not in <paramref name="known"/>.</exception>
    public void RequireKnown(IReadOnlyCollection<string> known, params string[] prefixes)
    {
        foreach (var key in Settings.Keys)
        {
            if (known.Contains(key, StringComparer.OrdinalIgnoreCase)) continue;
            if (prefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase))) continue;
            var all = known.Concat(prefixes.Select(p => p + "NAME")).Order(StringComparer.Ordinal);
            throw new PluginConfigurationException($"unknown parameter '{key}' (known: {string.Join(", ", all)})");
        }
    }

    /// <summary>Reads a number setting, or returns <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="PluginConfigurationException">The setting is present but not a number.</exception>
    public double GetDouble(string key, double fallback)
    {
        if (!Settings.TryGetValue(key, out var text)) return fallback;
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new PluginConfigurationException($"parameter '{key}' must be a number, got '{text}'");
    }

    /// <summary>Reads a true/false setting, or returns <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="PluginConfigurationException">The setting is present but not true or false.</exception>
    public bool GetBool(string key, bool fallback)
    {
        if (!Settings.TryGetValue(key, out var text)) return fallback;
        return text.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new PluginConfigurationException($"parameter '{key}' must be true or false, got '{text}'"),
        };
    }

    /// <summary>Reads an integer setting, or returns <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="PluginConfigurationException">The setting is present but not an integer.</exception>
    public int GetInt(string key, int fallback)
    {
        if (!Settings.TryGetValue(key, out var text)) return fallback;
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new PluginConfigurationException($"parameter '{key}' must be an integer, got '{text}'");
    }
}

/// <summary>How to generate.</summary>
/// <param name="MaxTokens">Upper bound on generated tokens.</param>
/// <param name="Temperature">Sampling temperature; 0 means greedy.</param>
/// <param name="Seed">Sampling seed, when the engine supports one.</param>
public sealed record GenerationParameters(int MaxTokens, double Temperature, int? Seed);

/// <summary>One request to an inference service.</summary>
public sealed record InferenceRequest(string Id, IReadOnlyList<ChatMessage> Messages, GenerationParameters Parameters)
{
    /// <summary>Functions the model may call (the OpenAI <c>tools</c> field); null or empty: none offered.</summary>
    public IReadOnlyList<ToolDefinition>? Tools { get; init; }
}

/// <summary>A function offered to the model: its name, what it does, and its parameters as a JSON Schema object (JSON text).</summary>
public sealed record ToolDefinition(string Name, string Description, string ParametersSchema);

/// <summary>A call the model asked for: the id the server gave it (null when none), the function's name, and its arguments
/// as the model generated them (JSON text, not checked).</summary>
public sealed record ToolCallRequest(string? Id, string Name, string Arguments);

/// <summary>What a stream chunk carried.</summary>
public enum ChunkKind
{
    /// <summary>Generated answer text.</summary>
    Content,
    /// <summary>Reasoning ("thinking") text.</summary>
    Reasoning,
    /// <summary>A chunk with no generated text (role-only, keep-alive, usage-only).</summary>
    Empty,
    /// <summary>Tool call text (a function's name or arguments): generated tokens, like content.</summary>
    ToolCall,
}

/// <summary>One chunk of a streamed response, stamped on receipt.</summary>
/// <param name="Timestamp">Monotonic clock (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>) at receipt.</param>
/// <param name="Kind">What the chunk carried.</param>
/// <param name="Tokens">Tokens in the chunk when known (an in-process engine knows: 1), else null.</param>
public readonly record struct StreamChunk(long Timestamp, ChunkKind Kind, int? Tokens);

/// <summary>Token counts and where they came from.</summary>
/// <param name="InputTokens">Prompt tokens, or null when unknown.</param>
/// <param name="OutputTokens">Generated tokens, or null when unknown.</param>
/// <param name="Source">Where the counts came from: "engine", "server-usage", "tokenizer", ...</param>
public sealed record TokenUsage(long? InputTokens, long? OutputTokens, string Source)
{
    /// <summary>Prompt tokens the service served from its prefix cache, when it says (OpenAI
    /// <c>usage.prompt_tokens_details.cached_tokens</c>, llama.cpp <c>timings.cache_n</c>); null when unknown.</summary>
    public long? CachedInputTokens { get; init; }

    /// <summary>Output tokens spent on reasoning, when the service says (OpenAI
    /// <c>usage.completion_tokens_details.reasoning_tokens</c>); null when unknown.</summary>
    public long? ReasoningTokens { get; init; }
}

/// <summary>Classes of service faults, reported instead of exceptions.</summary>
public enum ErrorClass
{
    /// <summary>Could not connect or the connection broke.</summary>
    Connection,
    /// <summary>The request timed out.</summary>
    Timeout,
    /// <summary>The service answered with an error status or message.</summary>
    Server,
    /// <summary>The request was rejected as invalid (e.g. prompt longer than the context).</summary>
    BadRequest,
    /// <summary>The service refused for load (HTTP 429).</summary>
    RateLimited,
    /// <summary>The stream was cut before it completed.</summary>
    Disconnected,
    /// <summary>The service sent something that does not follow its protocol (malformed chunk).</summary>
    Protocol,
    /// <summary>The model is missing or could not be loaded.</summary>
    Model,
    /// <summary>The request was cancelled.</summary>
    Cancelled,
    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>A classified service fault.</summary>
public sealed record ClientError(ErrorClass Class, string Message)
{
    /// <summary>The delay the service asked for before trying again (HTTP <c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A record's status: "ok", or the error class in snake case (<c>rate_limited</c>, <c>bad_request</c>,
    /// <c>server</c>, ...).</summary>
    public static string StatusOf(ClientError? error) => error is null ? "ok" : error.Class switch
    {
        ErrorClass.RateLimited => "rate_limited",
        ErrorClass.BadRequest => "bad_request",
        var c => c.ToString().ToLowerInvariant(),
    };
}

/// <summary>What happened to one request: the timeline, the text, usage, server timings, or an error.</summary>
/// <param name="SentAt">Monotonic timestamp when the request was handed to the service.</param>
/// <param name="CompletedAt">Monotonic timestamp when the last byte arrived (or the error occurred).</param>
/// <param name="Chunks">The stream's timeline in arrival order.</param>
/// <param name="Text">The generated answer.</param>
/// <param name="Reasoning">Reasoning text, when the model produced any.</param>
/// <param name="Usage">Token counts, when known.</param>
/// <param name="ServerTimings">Server-reported timings in seconds (e.g. "prompt_eval", "eval", "load").</param>
/// <param name="FinishReason">Why generation stopped ("length", "stop", ...), when known.</param>
/// <param name="Error">The fault, or null on success.</param>
public sealed record InferenceResult(
    long SentAt,
    long CompletedAt,
    IReadOnlyList<StreamChunk> Chunks,
    string Text,
    string? Reasoning,
    TokenUsage? Usage,
    IReadOnlyDictionary<string, double> ServerTimings,
    string? FinishReason,
    ClientError? Error)
{
    /// <summary>Attempts made (1 unless the user opted into retries). A retried query's <see cref="SentAt"/> is its first
    /// attempt's, so its latencies span every attempt; its chunks are its last attempt's.</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>Seconds waited between attempts (0 when sent once).</summary>
    public double RetryWaitS { get; init; }

    /// <summary>The first send went out on a kept-alive connection the server had already closed, and the query was sent
    /// again at once on a new connection (one of the <see cref="Attempts"/>).</summary>
    public bool Reconnected { get; init; }

    /// <summary>Tool calls the answer made (distinct calls in the stream); null when the client cannot tell.</summary>
    public int? ToolCalls { get; init; }

    /// <summary>The tool calls the model made, whole (a stream's name and argument pieces put together by index); empty
    /// when it made none, or when the client keeps only their count.</summary>
    public IReadOnlyList<ToolCallRequest> RequestedToolCalls { get; init; } = [];
}

/// <summary>What a client learned while preparing: the model it serves and versions worth recording.</summary>
/// <param name="Model">A short model name, safe for labels (e.g. "ipw-tiny-llama").</param>
/// <param name="Details">Facts for summary.json: model path, size, hash, engine version, threads, ...</param>
public sealed record ClientInfo(string Model, IReadOnlyDictionary<string, string> Details)
{
    /// <summary>Where the client sends its requests (a base URL, a model file) and where that came from, for the
    /// run's first lines; null when there is nothing to say.</summary>
    public string? Address { get; init; }

    /// <summary>What served the run, as the service says of itself (version, build, model facts, system
    /// fingerprint), for summary.json's <c>server</c> section. The client may add to it while the run goes on
    /// (a fingerprint first seen in a stream); null for an in-process engine.</summary>
    public IReadOnlyDictionary<string, string>? Server { get; init; }

    /// <summary>The first query pays a cold start the user asked to measure (e.g. Ollama's <c>cold_load=true</c>):
    /// a warm-up query would spend it, so the profiler refuses one.</summary>
    public bool ColdStart { get; init; }

    /// <summary>The served model's shape for FLOPs, where the service says it (Ollama's <c>/api/show</c> tensors,
    /// llama.cpp's model file or parameter count); null when it does not. <c>--model-config</c> takes precedence.</summary>
    public Models.ModelShape? ModelShape { get; init; }
}

/// <summary>An inference service or in-process engine.</summary>
public interface IInferenceClient : IAsyncDisposable
{
    /// <summary>Checks the service (or model file) is usable and loads/warms the model.</summary>
    /// <exception cref="PluginConfigurationException">The user's configuration cannot work (bad model path, ...).</exception>
    Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Sends one request and streams it to completion. Service faults are returned in
    /// <see cref="InferenceResult.Error"/>, not thrown. Called concurrently under load; it must return to its
    /// caller at its first wait (the open-loop scheduler sends from its own thread), so CPU-bound work
    /// (an in-process engine) belongs on another thread.</summary>
    Task<InferenceResult> SendAsync(InferenceRequest request, CancellationToken cancellationToken);

    /// <summary>Called once after the warm-up, just before the first measured query: the moment to take "before"
    /// readings of server-side counters, so the run's differences leave the warm-up out.</summary>
    Task BeginMeasurementAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called once after the last query: facts about the service worth keeping in summary.json
    /// (e.g. server metrics scraped before and after the run). Values are JSON text.</summary>
    Task<IReadOnlyDictionary<string, string>> FinishAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
}

/// <summary>A user configuration error found by a plugin: reported as one line, exit code 2.</summary>
public sealed class PluginConfigurationException(string message) : Exception(message);

/// <summary>A named factory for an <see cref="IInferenceClient"/>.</summary>
public sealed record ClientDescriptor(string Name, string Description, Func<ClientOptions, IInferenceClient> Create)
    : EntryDescriptor(Name, Description)
{
    /// <summary>The client runs the model in this process (a model file, no service): a base URL given to it is
    /// refused before anything runs, since ignoring it would profile something other than what the user named.</summary>
    public bool InProcess { get; init; }
}
