using System.Collections.Concurrent;
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
    protected string ClientName { get; }

    /// <summary>The model the service is asked for (resolved at prepare time).</summary>
    protected string Model { get; set; } = "";

    /// <summary>What the server says of itself, for summary.json (<see cref="ClientInfo.Server"/>); filled at prepare
    /// time, and with each system fingerprint the streams carry.</summary>
    protected ConcurrentDictionary<string, string> Identity { get; } = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, Uri> _routes = new(StringComparer.Ordinal);

    /// <param name="ownFields">The request fields the client writes itself: a <c>body.KEY</c> parameter may not replace one.</param>
    protected HttpInferenceClient(string clientName, ClientOptions options, ServiceAddress address, string[] endpoints,
        IEnumerable<string> extraParameters, IReadOnlyCollection<string> ownFields)
    {
        ClientName = clientName;
        options.RequireKnown([.. HttpSettings.Known, .. extraParameters], HttpSettings.HeaderPrefix, HttpSettings.BodyPrefix);
        Options = options;
        Settings = HttpSettings.From(options, address, endpoints, ownFields);
        Connections = new HttpConnections(Settings, HttpConnections.Parse(options));
    }

    /// <summary>The pooled connections: prepare-time calls and anything outside a measured query.</summary>
    protected HttpClient Http => Connections.Pooled;

    /// <summary>The client's connections: pooled, or one per query where the server closes kept-alive ones.</summary>
    private protected HttpConnections Connections { get; }

    /// <summary>Prepare-time calls to the service (needed documents, identity, readiness).</summary>
    protected ServiceProbe Probe => _probe ??= new ServiceProbe(Http, Settings, ClientName);
    private ServiceProbe? _probe;

    public abstract Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken);

    /// <summary>With <c>--wait-ready</c>, polls <paramref name="healthPath"/> until the service answers; returns the
    /// seconds waited (null: not asked to wait).</summary>
    protected async Task<double?> WaitReadyAsync(string healthPath, CancellationToken ct) =>
        Options.WaitReady is { } limit ? await Probe.WaitReadyAsync(healthPath, limit, ct).ConfigureAwait(false) : null;

    /// <summary>What prepare reports: the model, facts for people, the address used and the server's identity.</summary>
    protected ClientInfo Info(Dictionary<string, string> details)
    {
        details["base_url"] = Settings.Address.ToString();
        if (Settings.Body.Count > 0) details["body_fields"] = Settings.Body.Describe();
        if (Probe.ServerHeader is { } header) Identity.TryAdd("http_server_header", header);
        return new ClientInfo(Model, details) { Address = $"{ClientName} at {Settings.Address}", Server = Identity };
    }

    /// <summary>Whether the answer is streamed (false: asked for whole, <c>stream: false</c>).</summary>
    protected virtual bool Streams => true;

    /// <summary>The media type of the service's stream ("text/event-stream", "application/x-ndjson").</summary>
    protected abstract string StreamMediaType { get; }

    /// <summary>Builds the HTTP request for one query.</summary>
    protected abstract HttpRequestMessage BuildRequest(InferenceRequest request);

    /// <summary>The route's absolute address under the base URL, made once: HttpClient would otherwise combine a
    /// relative one with its base address on every request.</summary>
    protected Uri Route(string relative) => _routes.GetOrAdd(relative, static (r, http) => new Uri(http.BaseAddress!, r), Http);

    /// <summary>Reads the response body to its end (or the protocol's final chunk), filling <paramref name="state"/>.</summary>
    protected abstract Task ReadStreamAsync(Stream body, StreamState state, CancellationToken cancellationToken);

    /// <summary>After the warm-up: learns whether the server closes the connections it says it keeps (see
    /// <see cref="HttpConnections.DetectClosingServerAsync"/>), then lets the client read its "before" values.</summary>
    public async Task BeginMeasurementAsync(CancellationToken cancellationToken)
    {
        await Connections.DetectClosingServerAsync(ProbePath, cancellationToken).ConfigureAwait(false);
        await BeginServiceMeasurementAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A cheap GET the service answers (its health or version route).</summary>
    protected abstract string ProbePath { get; }

    /// <summary>Reads what the run's end is set against (the server's counters), once the warm-up is over.</summary>
    protected virtual Task BeginServiceMeasurementAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>What the run's end reports (summary.json's <c>client.report</c>): the service's own figures, and how the
    /// connections went.</summary>
    public async Task<IReadOnlyDictionary<string, string>> FinishAsync(CancellationToken cancellationToken)
    {
        var report = await ReportServiceAsync(cancellationToken).ConfigureAwait(false);
        Connections.Report(report);
        return report;
    }

    /// <summary>The service's own figures at the run's end (its metrics, what it holds loaded).</summary>
    protected virtual Task<Dictionary<string, string>> ReportServiceAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new Dictionary<string, string>());

    public async Task<InferenceResult> SendAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        var state = new StreamState(request.Parameters.MaxTokens);
        long firstSent = 0;
        var waited = TimeSpan.Zero;
        var reconnected = false;
        var http = Connections.ForQuery;
        for (var attempt = 1; ; attempt++)
        {
            state.Reset();
            var (sentAt, completedAt, stale) = await SendOnceAsync(http, request, state, cancellationToken).ConfigureAwait(false);
            if (attempt == 1) firstSent = sentAt;
            // A first send on a connection the server had already closed is sent again at once on a new connection: not
            // the server's failure, so it is not the user's retries to spend; counted in the attempts and the record.
            if (stale && !reconnected && !cancellationToken.IsCancellationRequested)
            {
                Connections.NoteStale();
                reconnected = true;
                http = Connections.Fresh;
                continue;
            }
            http = Connections.ForQuery;
            // Retries (opt-in) only for faults before any chunk arrived. The query's latencies run from its first send, so
            // every attempt and every wait counts; the attempts and the wait are recorded.
            var retryable = state.Error?.Class is ErrorClass.Connection or ErrorClass.RateLimited or ErrorClass.Server && state.Chunks.Count == 0;
            if (!retryable || attempt - (reconnected ? 1 : 0) > Settings.Retries || cancellationToken.IsCancellationRequested)
            {
                if (state.SystemFingerprint is { } fp) NoteFingerprint(fp);
                var result = await CompleteAsync(request, state, firstSent, completedAt, attempt, cancellationToken).ConfigureAwait(false);
                return result with { RetryWaitS = waited.TotalSeconds, Reconnected = reconnected };
            }
            // The server's Retry-After when it gave one (capped, so a bad header cannot stall the run), else a short backoff.
            var wait = state.Error!.RetryAfter is { } after ? TimeSpan.FromSeconds(Math.Min(after.TotalSeconds, MaxRetryAfterS)) : TimeSpan.FromMilliseconds(250 * attempt);
            var before = Stopwatch.GetTimestamp();
            try
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                waited += Stopwatch.GetElapsedTime(before);
            }
        }
    }

    private const double MaxRetryAfterS = 120;

    private void NoteFingerprint(string fingerprint) =>
        Identity.AddOrUpdate("system_fingerprint", fingerprint,
            (_, seen) => seen.Split(',').Contains(fingerprint) || seen.Length > 500 ? seen : seen + "," + fingerprint);

    /// <summary>Lets a client fill in what the stream lacked (e.g. token counts) after timing has stopped.</summary>
    protected virtual Task<InferenceResult> CompleteAsync(InferenceRequest request, StreamState state, long sentAt, long completedAt, int attempts, CancellationToken ct) =>
        Task.FromResult(state.ToResult(sentAt, completedAt, attempts));

    /// <returns>The send's and the end's timestamps, and whether the send failed on a stale connection (see
    /// <see cref="HttpConnections.IsStale"/>).</returns>
    private async Task<(long SentAt, long CompletedAt, bool Stale)> SendOnceAsync(HttpClient http, InferenceRequest request, StreamState state, CancellationToken cancellationToken)
    {
        using var message = BuildRequest(request);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A whole answer's headers come when it is done: only the total timeout applies to it.
        timeout.CancelAfter(Streams && Settings.FirstTokenTimeout < Settings.TotalTimeout ? Settings.FirstTokenTimeout : Settings.TotalTimeout);
        var sentAt = Stopwatch.GetTimestamp();
        var phase = "first token";
        // The query is sent when its first byte goes to the socket (see SendStamp); the time before, spent taking or
        // opening a connection, is the client's (client_queue_s). Should no byte be written (no connection), now.
        var stamp = SendStamp.Current.Value = new SendStamp();
        try
        {
            HttpResponseMessage sent;
            try
            {
                sent = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                if (stamp.At != 0) sentAt = stamp.At;
            }
            using var response = sent;
            if (!response.IsSuccessStatusCode)
            {
                state.Error = await HttpErrors.StatusErrorAsync(response, timeout.Token).ConfigureAwait(false);
                return (sentAt, Stopwatch.GetTimestamp(), false);
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            if (response.Content.Headers.ContentType?.MediaType is "text/html" or "application/xhtml+xml")
            {
                // A proxy's or login page's HTML, not a stream: said so with what it began with.
                state.Error = new ClientError(ErrorClass.Protocol,
                    $"expected {StreamMediaType}, got {response.Content.Headers.ContentType.MediaType}: '{await HttpErrors.PreviewAsync(body, timeout.Token).ConfigureAwait(false)}'");
                return (sentAt, Stopwatch.GetTimestamp(), false);
            }
            var watch = new FirstTokenWatch(state, timeout, Settings.TotalTimeout, sentAt, () => phase = "total");
            await ReadStreamAsync(new ObservedStream(body, watch), state, timeout.Token).ConfigureAwait(false);
            // A stream that ends after a finish reason is whole (older TGI, some proxies send no [DONE]); without one, cut.
            if (state.Error is null && !state.Completed && state.FinishReason is null)
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
            state.Error = HttpErrors.Classify(e, $"{ClientName} at {Settings.BaseUrl}");
            if (http == Connections.Pooled && HttpConnections.IsStale(e)) return (sentAt, Stopwatch.GetTimestamp(), true);
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
            state.DropEvent(); // text read before the fault is not part of the answer
            state.Error = new ClientError(ErrorClass.Protocol, $"malformed chunk {state.EventNumber}: {e.Message}");
        }
        catch (ProtocolViolation e)
        {
            state.DropEvent();
            state.Error = new ClientError(ErrorClass.Protocol, e.Message);
        }
        return (sentAt, Stopwatch.GetTimestamp(), false);
    }

    public ValueTask DisposeAsync()
    {
        Connections.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Raised by parsers for a response that breaks the protocol in a way JSON parsing does not catch.</summary>
    protected internal sealed class ProtocolViolation(string message) : Exception(message);
}
