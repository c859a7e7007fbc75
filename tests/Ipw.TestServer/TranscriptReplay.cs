using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Ipw.TestServer;

/// <summary>
/// Answers the requests a <see cref="Transcript"/> lists exactly as it says: its status, its headers, and its body or
/// its chunks, each written and flushed at its time after the request arrived. Exchanges with the same method and
/// path are served in order, the last one repeating. Requests the transcript does not list go to the server's
/// own handlers.
/// </summary>
internal sealed class TranscriptReplay(Transcript transcript)
{
    private readonly ConcurrentDictionary<string, int> _served = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _closed = new(StringComparer.Ordinal);

    /// <summary>Marks the request's connection closed after an exchange with <see cref="Exchange.CloseAfter"/>. The real
    /// server's FIN can reach the client before or after it reuses the connection; the replay makes the race's losing
    /// side certain: the next request on the connection is cut before any byte of an answer (<see cref="Closed"/>).</summary>
    public void Close(HttpContext ctx) => _closed[ctx.Connection.Id] = true;

    /// <summary>Whether the request came on a connection the transcript's server has closed.</summary>
    public bool Closed(HttpContext ctx) => _closed.ContainsKey(ctx.Connection.Id);

    public string Name => transcript.Name;

    /// <summary>The exchange this request gets, or null when the transcript does not list it.</summary>
    public Exchange? Next(HttpRequest request)
    {
        var key = request.Method + " " + request.Path;
        var matching = transcript.Exchanges.Where(e => e.Method.Equals(request.Method, StringComparison.OrdinalIgnoreCase) && e.Path == request.Path).ToList();
        if (matching.Count == 0) return null;
        var n = _served.AddOrUpdate(key, 0, (_, i) => i + 1);
        return matching[Math.Min(n, matching.Count - 1)];
    }

    /// <summary>Writes the exchange; returns the request body and the times each chunk was flushed.</summary>
    public static async Task<(string Request, List<long> Writes)> WriteAsync(HttpContext ctx, Exchange exchange, long received, bool exactTiming)
    {
        // The request is read whole first, as a server does before it answers.
        var request = await new StreamReader(ctx.Request.Body, Encoding.UTF8).ReadToEndAsync();
        ctx.Response.StatusCode = exchange.Status;
        foreach (var (name, value) in exchange.Headers)
        {
            if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase)) ctx.Response.ContentType = value;
            else if (!name.Equals("content-length", StringComparison.OrdinalIgnoreCase) && !name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase))
                ctx.Response.Headers.Append(name, value);
        }
        var writes = new List<long>();
        if (exchange.Chunks is null)
        {
            var body = Encoding.UTF8.GetBytes(exchange.Body ?? "");
            ctx.Response.ContentLength = body.Length;
            await ctx.Response.Body.WriteAsync(body);
            writes.Add(Stopwatch.GetTimestamp());
            return (request, writes);
        }
        await ctx.Response.StartAsync();
        foreach (var chunk in exchange.Chunks)
        {
            await ServerClock.WaitUntilAsync(received + (long)(chunk.AtMs / 1000.0 * Stopwatch.Frequency), exactTiming);
            if (ctx.RequestAborted.IsCancellationRequested) break; // the client hung up (it found a fault): what was written is logged
            try
            {
                await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(chunk.Bytes), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                break;
            }
            writes.Add(Stopwatch.GetTimestamp());
        }
        return (request, writes);
    }
}

/// <summary>Waits until a monotonic timestamp: a timer for most of the wait, then a spin for the last stretch, so a
/// chunk goes out on its schedule to well under a millisecond (off: plain timers, for thousands of streams).</summary>
internal static class ServerClock
{
    public static async Task WaitUntilAsync(long due, bool exact)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (!exact)
        {
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            return;
        }
        if (wait > TimeSpan.FromMilliseconds(2)) await Task.Delay(wait - TimeSpan.FromMilliseconds(1.5));
        while (Stopwatch.GetTimestamp() < due) Thread.SpinWait(20);
    }
}
