using System.Diagnostics;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>
/// Prepare-time calls to a service, outside any measured query: the documents a client needs (a failure is a
/// one-line configuration error naming the URL), the ones it would like (identity: any failure is just nothing), and
/// waiting for a service that is still starting.
/// </summary>
internal sealed class ServiceProbe(HttpClient http, HttpSettings settings, string client)
{
    private Uri Root => settings.BaseUrl;

    /// <summary>The HTTP <c>Server</c> header of the last answer, when it had one.</summary>
    public string? ServerHeader { get; private set; }

    /// <summary>GETs a JSON document the client cannot work without.</summary>
    public async Task<JsonDocument> GetJsonAsync(string path, string hint, CancellationToken ct) =>
        await SendJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, path), hint, ct).ConfigureAwait(false);

    /// <summary>Sends a request whose JSON answer the client cannot work without.</summary>
    public async Task<JsonDocument> SendJsonAsync(Func<HttpRequestMessage> request, string hint, CancellationToken ct)
    {
        using var message = request();
        var url = new Uri(Root, message.RequestUri!);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(settings.ConnectTimeout + TimeSpan.FromSeconds(20));
            using var response = await http.SendAsync(message, timeout.Token).ConfigureAwait(false);
            ServerHeader = response.Headers.Server.ToString() is { Length: > 0 } server ? server : ServerHeader;
            if (!response.IsSuccessStatusCode)
            {
                var error = await HttpErrors.StatusErrorAsync(response, timeout.Token).ConfigureAwait(false);
                // A refused key is said as such: the address is right.
                throw new PluginConfigurationException(response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden
                    ? $"{url} answered {error.Message}" : $"{url} answered {error.Message}; {hint}");
            }
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await JsonDocument.ParseAsync(stream, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new PluginConfigurationException($"cannot reach {client} at {Root} ({HttpErrors.Inner(e)}); {hint}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new PluginConfigurationException($"{url} did not answer in time; {hint}");
        }
        catch (JsonException)
        {
            throw new PluginConfigurationException($"{url} did not answer with JSON: is {Root} a {client} server?");
        }
    }

    /// <summary>A document the client would like (a version, a build): null on any failure, never an error.</summary>
    public async Task<JsonDocument?> TryJsonAsync(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var message = request();
            using var response = await http.SendAsync(message, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await JsonDocument.ParseAsync(stream, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    public Task<JsonDocument?> TryGetJsonAsync(string path, CancellationToken ct) =>
        TryJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, path), ct);

    /// <summary>
    /// Polls <paramref name="path"/> until it answers 2xx, for up to <paramref name="limit"/>: a service still loading
    /// its model refuses connections or answers 503 for its first seconds. Any other answer ends the wait too (the
    /// service is up; what follows reports what is wrong with it).
    /// </summary>
    /// <returns>Seconds waited.</returns>
    public async Task<double> WaitReadyAsync(string path, TimeSpan limit, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var last = "no answer yet";
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                using var response = await http.GetAsync(path, timeout.Token).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                if (code is not (503 or 502 or 504)) return Stopwatch.GetElapsedTime(started).TotalSeconds;
                var error = await HttpErrors.StatusErrorAsync(response, timeout.Token).ConfigureAwait(false);
                last = error.Message;
            }
            catch (HttpRequestException e)
            {
                last = HttpErrors.Inner(e);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                last = "no answer within 5 s";
            }
            var waited = Stopwatch.GetElapsedTime(started);
            if (waited >= limit)
                throw new PluginConfigurationException($"{client} at {Root} was not ready after {limit.TotalSeconds:0.#} s of --wait-ready (last: {last})");
            var left = limit - waited;
            await Task.Delay(delay < left ? delay : left, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }
}
