using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>When a client keeps a connection open for the next request (<c>--client-param reuse_connections=...</c>).</summary>
internal enum ConnectionReuse
{
    /// <summary>Reuse connections until the server is seen closing one that it said it would keep (llama.cpp's
    /// server after every streamed answer); from then on each query opens its own.</summary>
    Auto,
    /// <summary>Always reuse (a stale connection is still sent again once).</summary>
    Yes,
    /// <summary>A new connection for every query, closed after it.</summary>
    No,
}

/// <summary>
/// A client's connections to one service. Queries go through a pool of kept-alive connections, or through fresh ones
/// (a connection per query, <c>Connection: close</c>) when the server closes kept-alive connections on its own.
/// <para>Why: llama.cpp's server answers a stream with <c>Keep-Alive: timeout=5</c> and then closes the connection.
/// The pool hands the next query that connection before its FIN is read, and the query fails with no response byte.
/// Such a query (through the pool, before the response began) is sent again at once on a fresh connection
/// (<see cref="IsStale"/>); with <see cref="ConnectionReuse.Auto"/> the first one also turns pooling off for the queries
/// after it, which costs a connect (tens of µs on loopback) instead of a failed round trip per query.</para>
/// </summary>
internal sealed class HttpConnections : IDisposable
{
    private readonly HttpSettings _settings;
    private readonly ConnectionReuse _mode;
    private readonly Lazy<HttpClient> _fresh;

    /// <summary>The API key: from the environment only, and only in the authorization header: never in records, the
    /// summary or logs.</summary>
    private readonly string? _apiKey = Environment.GetEnvironmentVariable("IPW_API_KEY") is { Length: > 0 } k ? k
        : Environment.GetEnvironmentVariable("OPENAI_API_KEY") is { Length: > 0 } o ? o : null;
    private int _stale, _opened;
    private volatile bool _serverCloses;
    private string? _seen;

    public HttpConnections(HttpSettings settings, ConnectionReuse mode)
    {
        _settings = settings;
        _mode = mode;
        Pooled = Make(TimeSpan.FromMinutes(5), closeEach: false, counted: true);
        _fresh = new Lazy<HttpClient>(() => Make(TimeSpan.Zero, closeEach: true, counted: false), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Pooled connections: every prepare-time call, and the queries while the pool is trusted.</summary>
    public HttpClient Pooled { get; }

    /// <summary>A new connection per request, closed after it.</summary>
    public HttpClient Fresh => _fresh.Value;

    /// <summary>The client a query is sent through.</summary>
    public HttpClient ForQuery => _mode == ConnectionReuse.No || (_mode == ConnectionReuse.Auto && _serverCloses) ? Fresh : Pooled;

    /// <summary>Queries sent again because their first send went out on a connection the server had closed.</summary>
    public int StaleRetries => Volatile.Read(ref _stale);

    /// <summary>Whether <paramref name="e"/>, from a request sent through <see cref="Pooled"/>, is what a stale connection
    /// gives: the response ended (or the connection was reset) before its headers. The pool does not say whether the
    /// connection was a reused one, so a server that closes a new connection unanswered is also sent the query once more,
    /// on a fresh connection; if that fails too, the failure is the record's (with both attempts counted).</summary>
    public static bool IsStale(HttpRequestException e) =>
        e.HttpRequestError == HttpRequestError.ResponseEnded
        || e.InnerException is IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown } };

    /// <summary>Counts a stale-connection retry and, in <see cref="ConnectionReuse.Auto"/>, stops pooling query connections.</summary>
    public void NoteStale()
    {
        Interlocked.Increment(ref _stale);
        _seen ??= "a query met a connection the server had closed";
        _serverCloses = true;
    }

    /// <summary>
    /// After the warm-up, before measuring (<see cref="ConnectionReuse.Auto"/> only): whether the server closed the
    /// connection that carried the warm-up's stream. The pool then holds one idle connection if the server kept it; a
    /// cheap request through the pool (<paramref name="path"/>) opens a new one only if it did not. Seen so, the
    /// queries open a connection each from the first, and none has to be sent twice.
    /// </summary>
    public async Task DetectClosingServerAsync(string path, CancellationToken ct)
    {
        if (_mode != ConnectionReuse.Auto || _serverCloses) return;
        await Task.Delay(20, ct).ConfigureAwait(false); // the server's FIN, if it sent one, is read by now on any near network
        var opened = Volatile.Read(ref _opened);
        try
        {
            using var response = await Pooled.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (IsStale(e))
        {
            opened = -1;
        }
        catch (HttpRequestException)
        {
            return; // the probe failed for another reason: nothing learned
        }
        if (opened < 0 || Volatile.Read(ref _opened) > opened)
        {
            _seen = "the server closed the connection of the warm-up's stream";
            _serverCloses = true;
        }
    }

    /// <summary>What summary.json's client report says of the connections.</summary>
    public void Report(IDictionary<string, string> report)
    {
        report["reuse_connections"] = _mode.ToString().ToLowerInvariant();
        report["stale_connection_retries"] = StaleRetries.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_serverCloses)
            report["connections"] = _mode == ConnectionReuse.Auto
                ? $"{_seen} although it said Keep-Alive; from then on ipw opened a new connection per query"
                : $"{_seen} although it said Keep-Alive";
    }

    public static ConnectionReuse Parse(ClientOptions options) => options.Settings.GetValueOrDefault("reuse_connections") switch
    {
        null or "auto" => ConnectionReuse.Auto,
        "yes" or "true" => ConnectionReuse.Yes,
        "no" or "false" => ConnectionReuse.No,
        var v => throw new PluginConfigurationException($"parameter 'reuse_connections' must be auto, yes or no, got '{v}'"),
    };

    private HttpClient Make(TimeSpan lifetime, bool closeEach, bool counted)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _settings.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            // Zero: a connection is never handed to a second request.
            PooledConnectionLifetime = lifetime,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            ConnectCallback = (context, ct) => ConnectAsync(context, counted, ct),
            // No cap on connections: an HTTP/1.1 request past a cap waits inside the handler for a free connection,
            // after its send was stamped, so an open loop past the cap would time that wait as the server's TTFT.
        };
        var http = new HttpClient(handler) { BaseAddress = _settings.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        if (closeEach) http.DefaultRequestHeaders.ConnectionClose = true;
        // The headers every request carries: user agent, authorization (a key, else the base URL's credentials), header.*.
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ipw", "0.1"));
        if (_apiKey is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        else if (_settings.Address.UserInfo is { } credentials)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        foreach (var (name, value) in _settings.Headers)
        {
            if (!http.DefaultRequestHeaders.TryAddWithoutValidation(name, value))
                throw new PluginConfigurationException($"parameter 'header.{name}': not a valid request header");
        }
        return http;
    }

    /// <summary>Connects as the handler does (Nagle off), counting the pool's connections; the connection's stream stamps
    /// each request's first write (<see cref="SendStamp"/>).</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool counted, CancellationToken ct)
    {
        if (counted) Interlocked.Increment(ref _opened);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
            return new StampingStream(new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Pooled.Dispose();
        if (_fresh.IsValueCreated) _fresh.Value.Dispose();
    }
}
