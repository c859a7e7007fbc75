using Ipw.Abstractions;

namespace Ipw.Core.Load;

/// <summary>Starts one query: measures it and hands it on; the task ends when the query has.</summary>
/// <param name="scheduled">Open loop: the monotonic stamp it was due at; null in closed loop.</param>
internal delegate Task SendQuery(int index, WorkloadItem item, long? scheduled);

/// <summary>How queries are sent: a closed loop (N in flight) or an open loop (on an arrival schedule).</summary>
internal interface ILoadStrategy
{
    /// <summary>The load in words, for progress displays.</summary>
    string Description { get; }

    /// <summary>Sends until the items run out or <paramref name="sending"/> stops; returns when every query it sent was
    /// handed on (closed loop) or dispatched (open loop).</summary>
    Task RunAsync(ItemSource items, SendQuery send, long measureStart, CancellationToken sending);
}
