using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>The classification of every HTTP fault into an <see cref="ErrorClass"/>, with the service's own message kept.</summary>
internal static class HttpErrors
{
    /// <summary>Classifies a transport fault; <paramref name="what"/> names the service ("vllm at http://...").</summary>
    public static ClientError Classify(HttpRequestException e, string what)
    {
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

    public static string Inner(Exception e) => e.InnerException is { } inner ? inner.Message : e.Message;

    /// <summary>Maps an HTTP error status (and the service's error body) to a classified error.</summary>
    public static async Task<ClientError> StatusErrorAsync(HttpResponseMessage response, CancellationToken ct)
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
        var retryAfter = RetryAfter(response);
        if (retryAfter is { } r) hint += $" (Retry-After {r.TotalSeconds:0.###} s)";
        return new ClientError(cls, $"HTTP {code} {response.ReasonPhrase}{hint}{(body.Length > 0 ? ": " + body : "")}") { RetryAfter = retryAfter };
    }

    /// <summary>The <c>Retry-After</c> header as a delay: seconds, or an HTTP date from now.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
        _ => null,
    };

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

    /// <summary>The first bytes of a body that is not what was asked for, as one line of text (at most 200 bytes).</summary>
    public static async Task<string> PreviewAsync(Stream body, CancellationToken ct)
    {
        var buffer = new byte[200];
        var read = 0;
        try
        {
            while (read < buffer.Length && await body.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false) is var n and > 0) read += n;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // What arrived before the cut is enough.
        }
        var text = System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        return string.Join(' ', text.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
