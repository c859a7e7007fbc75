using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Measurement;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Load;

/// <summary>How queries are measured: here (<see cref="QueryMeter"/>) or by worker processes (<see cref="Workers.RemoteMeter"/>).</summary>
internal interface IQueryMeter
{
    /// <summary>The most queries that were in flight at once.</summary>
    int MaxInFlight { get; }

    /// <summary>Sends and measures one query; null when it was never sent (sending stopped before it was due).</summary>
    Task<MeasuredQuery?> MeasureAsync(int index, WorkloadItem item, long? scheduled, CancellationToken abort);
}

/// <summary>
/// Measures one query, once: opens its energy and telemetry windows, sends it, closes the windows when the client
/// returns. A client's exception becomes the query's error (a client bug must not end the run). Thread-safe: called
/// by every query in flight.
/// </summary>
internal sealed class QueryMeter(ProfileOptions options, IInferenceClient client, QueryWindows windows) : IQueryMeter
{
    private int _inFlight, _maxInFlight;

    /// <summary>The most queries that were in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public async Task<MeasuredQuery?> MeasureAsync(int index, WorkloadItem item, long? scheduled, CancellationToken abort)
    {
        var inFlight = InFlight.Enter(ref _inFlight, ref _maxInFlight);
        var window = windows.Open();
        var result = await SendAsync(client, Request(options, index, item), window.Start, abort).ConfigureAwait(false);
        var (end, telemetry) = windows.Close(window);
        Interlocked.Decrement(ref _inFlight);
        return new MeasuredQuery(index, item, result, end, scheduled, inFlight, telemetry, window);
    }

    /// <summary>The request for query <paramref name="index"/>: its item, its length, its seed.</summary>
    public static InferenceRequest Request(ProfileOptions options, int index, WorkloadItem item) =>
        new(item.Id, item.Messages, new GenerationParameters(item.MaxTokens ?? options.MaxTokens, options.Temperature, unchecked(options.Seed + index)));

    /// <summary>Calls the client; an exception becomes the result's error (<paramref name="start"/>: when the query began).</summary>
    public static async Task<InferenceResult> SendAsync(IInferenceClient client, InferenceRequest request, long start, CancellationToken abort)
    {
        try
        {
            return await client.SendAsync(request, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return Failed(start, new ClientError(ErrorClass.Cancelled, "cancelled"));
        }
        catch (Exception e)
        {
            return Failed(start, new ClientError(ErrorClass.Other, $"{e.GetType().Name}: {e.Message}"));
        }
    }

    private static InferenceResult Failed(long at, ClientError error) =>
        new(at, Stopwatch.GetTimestamp(), [], "", null, null, new Dictionary<string, double>(), null, error);
}

/// <summary>Counts queries in flight and keeps the most seen at once.</summary>
internal static class InFlight
{
    /// <returns>The count with this query.</returns>
    public static int Enter(ref int inFlight, ref int max)
    {
        var now = Interlocked.Increment(ref inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen) { }
        return now;
    }
}
