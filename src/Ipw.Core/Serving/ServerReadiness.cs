using System.Diagnostics;
using System.Net.Sockets;

namespace Ipw.Core.Serving;

/// <summary>Waiting for a server ipw started (<c>ipw serve start</c>) to say it is ready on its health route.</summary>
public static class ServerReadiness
{
    /// <summary>Polls <paramref name="url"/> until it answers 2xx (100 ms apart at first, then up to 1 s); fails with the
    /// server's last words when it exits first, and stops it when <paramref name="limit"/> passes. Returns the seconds
    /// from <paramref name="started"/>.</summary>
    public static async Task<double> WaitAsync(ServerProcess server, string url, TimeSpan limit, long started, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var delay = TimeSpan.FromMilliseconds(100);
        var last = "no answer yet";
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return Stopwatch.GetElapsedTime(started).TotalSeconds;
                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.InnerException?.Message ?? e.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                last = "no answer within 5 s";
            }
            if (server.HasExited)
                throw new UserError($"the server exited with code {await server.Exited.ConfigureAwait(false)} before it was ready: " +
                    $"{(server.Tail() is { Length: > 0 } tail ? $"it said \"{tail}\"" : "it wrote nothing")} (its log: {server.LogPath})");
            if (Stopwatch.GetElapsedTime(started) >= limit)
            {
                await server.StopAsync(LaunchedServer.StopGrace).ConfigureAwait(false);
                throw new UserError($"the server was not ready at {url} after {limit.TotalSeconds:0.#} s (last: {last}); stopped it (its log: {server.LogPath})");
            }
            await Task.WhenAny(Task.Delay(delay, ct), server.Exited).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>Whether something already listens at host:port (a server started there would not be the one answering).</summary>
    public static bool InUse(string host, int port)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(host, port).Wait(TimeSpan.FromSeconds(1)) && client.Connected;
        }
        catch (AggregateException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
