using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Measurement;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Load;

/// <summary>
/// Measures one query, once: opens its energy and telemetry windows, sends it, closes the windows when the client
/// returns. A client's exception becomes the query's error (a client bug must not end the run). Thread-safe: called
/// by every query in flight.
/// </summary>
internal sealed class QueryMeter(ProfileOptions options, IInferenceClient client, QueryWindows windows)
{
    private int _inFlight, _maxInFlight;

    /// <summary>The most queries that were in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public async Task<MeasuredQuery> MeasureAsync(int index, WorkloadItem item, long? scheduled, CancellationToken abort)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        int seen;
        while (inFlight > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, inFlight, seen) != seen) { }
        var window = windows.Open();
        var request = new InferenceRequest(item.Id, item.Messages,
            new GenerationParameters(item.MaxTokens ?? options.MaxTokens, options.Temperature, unchecked(options.Seed + index)));
        InferenceResult result;
        try
        {
            result = await client.SendAsync(request, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            result = Failed(window.Start, new ClientError(ErrorClass.Cancelled, "cancelled"));
        }
        catch (Exception e)
        {
            result = Failed(window.Start, new ClientError(ErrorClass.Other, $"{e.GetType().Name}: {e.Message}"));
        }
        var (end, telemetry) = windows.Close(window);
        Interlocked.Decrement(ref _inFlight);
        return new MeasuredQuery(index, item, result, end, scheduled, inFlight, telemetry, window);
    }

    private static InferenceResult Failed(long at, ClientError error) =>
        new(at, Stopwatch.GetTimestamp(), [], "", null, null, new Dictionary<string, double>(), null, error);
}
