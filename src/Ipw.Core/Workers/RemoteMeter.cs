using Ipw.Abstractions;
using Ipw.Core.Load;
using Ipw.Core.Measurement;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Workers;

/// <summary>
/// Measures a query that a worker process sends: hands it to the pool, opens its windows at the worker's send stamp
/// (the energy attribution holds its cursor back by <see cref="WorkerPool.ReportDelay"/> for it), closes them at the
/// worker's end stamp. The record is then made here exactly as for a query sent in this process.
/// </summary>
internal sealed class RemoteMeter(ProfileOptions options, WorkerPool pool, QueryWindows windows) : IQueryMeter
{
    private int _inFlight, _maxInFlight;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public async Task<MeasuredQuery?> MeasureAsync(int index, WorkloadItem item, long? scheduled, CancellationToken abort)
    {
        var pending = pool.Dispatch(index, QueryMeter.Request(options, index, item), scheduled ?? System.Diagnostics.Stopwatch.GetTimestamp());
        if (await pending.Sent.Task.ConfigureAwait(false) is not { } sent) return null;
        var inFlight = InFlight.Enter(ref _inFlight, ref _maxInFlight);
        var window = windows.Open(sent);
        var (result, end) = await pending.Done.Task.ConfigureAwait(false);
        var (closed, telemetry) = windows.Close(window, end);
        Interlocked.Decrement(ref _inFlight);
        return new MeasuredQuery(index, item, result, closed, scheduled, inFlight, telemetry, window) { Worker = pending.Worker };
    }
}
