using System.Diagnostics;
using Ipw.Core.Energy;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Measurement;

/// <summary>A query's open measurement window: its place in the energy attribution and its telemetry window.</summary>
/// <param name="EnergyId">The attributor's id for the query (-1 without an energy counter).</param>
/// <param name="Start">When the window opened (monotonic).</param>
/// <param name="TelemetryStart">The telemetry window's start stamp.</param>
internal readonly record struct QueryWindow(int EnergyId, long Start, long TelemetryStart);

/// <summary>
/// The one window API of a query: <see cref="Open"/> when it is sent, <see cref="Close"/> when the client returns (the
/// telemetry statistics over the window, read through the one counter model), <see cref="Settle"/> once its first
/// token and end are known to the record's consumer (its energy share becomes final when the counters pass its end).
/// The energy self-test reads the same telemetry windows.
/// </summary>
/// <param name="energyMetrics">The session's additive energy counters (<see cref="TelemetryMap.EnergyMetrics"/>), for
/// <see cref="EnergyNow"/>; null or empty: none.</param>
internal sealed class QueryWindows(TelemetrySession session, EnergyAttributor? energy, IReadOnlyList<int>? energyMetrics = null)
{
    /// <summary>The energy counters' sum read now (a sample of every source, as at a window's edge); null without a counter
    /// or when one could not be read. Differences between two readings are the energy between them.</summary>
    public double? EnergyNow()
    {
        if (energyMetrics is not { Count: > 0 } metrics) return null;
        session.SampleNow();
        return TelemetryMap.Sum(session.Latest(), metrics);
    }

    /// <summary>The energy attribution the windows feed; null without an energy counter.</summary>
    public EnergyAttributor? Energy => energy;

    /// <param name="at">When the query was sent, when another process sent it (a worker's stamp on this clock); the
    /// telemetry window opens now, which is as late as the report of the send.</param>
    public QueryWindow Open(long? at = null)
    {
        var (id, start) = energy?.Begin(at) ?? (-1, at ?? Stopwatch.GetTimestamp());
        return new QueryWindow(id, start, session.OpenWindow());
    }

    /// <returns>When it closed, and the telemetry over it.</returns>
    /// <param name="at">When the query ended, when another process measured it.</param>
    public (long End, WindowStats Telemetry) Close(QueryWindow window, long? at = null)
    {
        if (at is { } given) return (given, session.CloseWindow(window.TelemetryStart, Math.Max(given, window.TelemetryStart)));
        var end = Stopwatch.GetTimestamp();
        return (end, session.CloseWindow(window.TelemetryStart));
    }

    /// <summary>Hands the closed window to the energy attribution, with the query's first token; false when the run has
    /// no energy counter (the record needs no energy share).</summary>
    public bool Settle(QueryWindow window, long end, long? firstToken, object tag)
    {
        if (energy is null) return false;
        energy.End(window.EnergyId, end, firstToken, tag);
        return true;
    }
}
