using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>
/// What every HTTP client shares: one pooled connection handler, connect / first-token / total
/// timeouts, opt-in retries, and the classification of every fault into an <see cref="ErrorClass"/>.
/// Subclasses build the request and parse the stream into a <see cref="StreamState"/>.
/// </summary>
internal abstract class HttpInferenceClient : IInferenceClient
{
    protected HttpSettings Settings { get; }
    protected ClientOptions Options { get; }
    protected HttpClient Http { get; }
    protected string ClientName { get; }

    /// <summary>The model the service is asked for (resolved at prepare time).</summary>
    protected string Model { get; set; } = "";

    private readonly string? _apiKey;

    protected HttpInferenceClient(string clientName, ClientOptions options, string defaultBaseUrl, string[] endpoints, IEnumerable<string> extraParameters)
    {
        ClientName = clientName;
        options.RequireKnown([.. HttpSettings.Known, .. extraParameters], HttpSettings.HeaderPrefix);
        Options = options;
        Settings = HttpSettings.From(options, clientName, defaultBaseUrl, endpoints);
        // Keys come from the environment only and live in this header: never in records, summary or logs.
        _apiKey = Environment.GetEnvironmentVariable("IPW_API_KEY") is { Length: > 0 } k ? k
            : Environment.GetEnvironmentVariable("OPENAI_API_KEY") is { Length: > 0 } o ? o : null;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = Settings.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            MaxConnectionsPerServer = 1024,
        };
        Http = new HttpClient(handler) { BaseAddress = Settings.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        Http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ipw", "0.1"));
        if (_apiKey is not null) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        foreach (var (name, value) in Settings.Headers)
        {
            if (!Http.DefaultRequestHeaders.TryAddWithoutValidation(name, value))
                throw new PluginConfigurationException($"parameter 'header.{name}': not a valid request header");
        }
    }

    public abstract Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Builds the HTTP request for one query.</summary>
    protected abstract HttpRequestMessage BuildRequest(InferenceRequest request);

    /// <summary>Reads the response body to its end (or the protocol's final chunk), filling <paramref name="state"/>.</summary>
    protected abstract Task ReadStreamAsync(Stream body, StreamState state, CancellationToken cancellationToken);

    public virtual Task<IReadOnlyDictionary<string, string>> FinishAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());

    public async Task<InferenceResult> SendAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        var state = new StreamState(request.Parameters.MaxTokens);
        for (var attempt = 1; ; attempt++)
        {
            state.Reset();
            var (sentAt, completedAt) = await SendOnceAsync(request, state, cancellationToken).ConfigureAwait(false);
            // Retries (opt-in) only for faults before any chunk arrived: a retried query's timing is its last attempt's.
            var retryable = state.Error?.Class is ErrorClass.Connection or ErrorClass.RateLimited or ErrorClass.Server && state.Chunks.Count == 0;
            if (!retryable || attempt > Settings.Retries || cancellationToken.IsCancellationRequested)
                return await CompleteAsync(request, state, sentAt, completedAt, attempt, cancellationToken).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lets a client fill in what the stream lacked (e.g. token counts) after timing has stopped.</summary>
    protected virtual Task<InferenceResult> CompleteAsync(InferenceRequest request, StreamState state, long sentAt, long completedAt, int attempts, CancellationToken ct) =>
        Task.FromResult(state.ToResult(sentAt, completedAt, attempts));

    private async Task<(long SentAt, long CompletedAt)> SendOnceAsync(InferenceRequest request, StreamState state, CancellationToken cancellationToken)
    {
        using var message = BuildRequest(request);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Settings.FirstTokenTimeout < Settings.TotalTimeout ? Settings.FirstTokenTimeout : Settings.TotalTimeout);
        var sentAt = Stopwatch.GetTimestamp();
        var phase = "first token";
        try
        {
            using var response = await Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                state.Error = await StatusErrorAsync(response, timeout.Token).ConfigureAwait(false);
                return (sentAt, Stopwatch.GetTimestamp());
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            var watch = new FirstTokenWatch(state, timeout, Settings.TotalTimeout, sentAt, () => phase = "total");
            await ReadStreamAsync(new ObservedStream(body, watch), state, timeout.Token).ConfigureAwait(false);
            if (state.Error is null && !state.Completed)
                state.Error = new ClientError(ErrorClass.Disconnected, $"the stream ended before its final chunk, after {state.Chunks.Count} chunks");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var limit = phase == "total" ? Settings.TotalTimeout : Settings.FirstTokenTimeout;
            state.Error = new ClientError(ErrorClass.Timeout, $"no {(phase == "total" ? "end of stream" : "first token")} within {limit.TotalSeconds:0.###} s");
        }
        catch (OperationCanceledException)
        {
            state.Error = new ClientError(ErrorClass.Cancelled, "cancelled");
        }
        catch (HttpRequestException e)
        {
            state.Error = Classify(e);
        }
        catch (HttpIOException e)
        {
            state.Error = new ClientError(ErrorClass.Disconnected, $"the stream was cut: {e.Message}");
        }
        catch (IOException e)
        {
            state.Error = new ClientError(ErrorClass.Disconnected, $"the stream was cut: {e.Message}");
        }
        catch (JsonException e)
        {
            state.Error = new ClientError(ErrorClass.Protocol, $"malformed chunk after {state.Chunks.Count} chunks: {e.Message}");
        }
        catch (ProtocolViolation e)
        {
            state.Error = new ClientError(ErrorClass.Protocol, e.Message);
        }
        return (sentAt, Stopwatch.GetTimestamp());
    }

    private ClientError Classify(HttpRequestException e)
    {
        var what = $"{ClientName} at {Settings.BaseUrl}";
        return e.HttpRequestError switch
        {
            HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError
                => new ClientError(ErrorClass.Connection, $"cannot connect to {what}: {Inner(e)}"),
            HttpRequestError.ResponseEnded => new ClientError(ErrorClass.Disconnected, $"{what} closed the connection: {Inner(e)}"),
            HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError => new ClientError(ErrorClass.Protocol, $"invalid response from {what}: {Inner(e)}"),
            _ when e.InnerException is SocketException => new ClientError(ErrorClass.Connection, $"cannot connect to {what}: {Inner(e)}"),
            // A reset while the body streams in: the stream was cut.
            _ when e.InnerException is IOException => new ClientError(ErrorClass.Disconnected, $"the stream from {what} was cut: {Inner(e)}"),
            _ => new ClientError(ErrorClass.Other, $"{what}: {Inner(e)}"),
        };
    }

    private static string Inner(Exception e) => e.InnerException is { } inner ? inner.Message : e.Message;

    /// <summary>Maps an HTTP error status (and the service's error body) to a classified error.</summary>
    protected static async Task<ClientError> StatusErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await ReadErrorBodyAsync(response, ct).ConfigureAwait(false);
        var code = (int)response.StatusCode;
        var cls = code switch
        {
            429 => ErrorClass.RateLimited,
            404 => ErrorClass.Model,
            401 or 403 => ErrorClass.BadRequest,
            >= 400 and < 500 => ErrorClass.BadRequest,
            _ => ErrorClass.Server,
        };
        var hint = code is 401 or 403 ? " (set IPW_API_KEY or OPENAI_API_KEY)" : "";
        return new ClientError(cls, $"HTTP {code} {response.ReasonPhrase}{hint}{(body.Length > 0 ? ": " + body : "")}");
    }

    private static async Task<string> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (text.Length == 0) return "";
            try
            {
                using var doc = JsonDocument.Parse(text);
                var error = doc.RootElement.TryGetProperty("error", out var e) ? e : doc.RootElement;
                if (error.ValueKind == JsonValueKind.String) return error.GetString()!;
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m)) return m.GetString() ?? text;
            }
            catch (JsonException) { }
            return text.Length > 300 ? text[..300] + "…" : text;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return "";
        }
    }

    /// <summary>Prepare-time GET of a JSON document; a service that cannot be reached is a configuration error
    /// with a one-line message naming the URL.</summary>
    protected async Task<JsonDocument> GetJsonAsync(string path, string hint, CancellationToken ct)
    {
        var url = new Uri(Settings.BaseUrl, path);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Settings.ConnectTimeout + TimeSpan.FromSeconds(20));
            using var response = await Http.GetAsync(url, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var error = await StatusErrorAsync(response, timeout.Token).ConfigureAwait(false);
                throw new PluginConfigurationException($"{url} answered {error.Message}; {hint}");
            }
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await JsonDocument.ParseAsync(stream, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new PluginConfigurationException($"cannot reach {ClientName} at {Settings.BaseUrl} ({Inner(e)}); {hint}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new PluginConfigurationException($"{url} did not answer in time; {hint}");
        }
        catch (JsonException)
        {
            throw new PluginConfigurationException($"{url} did not answer with JSON: is {Settings.BaseUrl} a {ClientName} server?");
        }
    }

    public ValueTask DisposeAsync()
    {
        Http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Raised by parsers for a response that breaks the protocol in a way JSON parsing does not catch.</summary>
    protected internal sealed class ProtocolViolation(string message) : Exception(message);

    /// <summary>Stamps every read at its return (the receipt time of its bytes) and switches the timeout from
    /// first-token to total once the first token has arrived.</summary>
    private sealed class FirstTokenWatch(StreamState state, CancellationTokenSource timeout, TimeSpan total, long sentAt, Action onFirst)
    {
        private bool _seen;

        public void Received() => state.ReceivedAt = Stopwatch.GetTimestamp();

        public void Check()
        {
            if (_seen || state.FirstTokenAt == 0) return;
            _seen = true;
            onFirst();
            var left = total - Stopwatch.GetElapsedTime(sentAt);
            timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
        }
    }

    /// <summary>A read-through stream that lets the first-token watch look at the state after every read.</summary>
    private sealed class ObservedStream(Stream inner, FirstTokenWatch watch) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            watch.Check();
            var n = inner.Read(buffer, offset, count);
            watch.Received();
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            watch.Check();
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            watch.Received();
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
