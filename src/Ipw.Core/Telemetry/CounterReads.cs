using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Measurement;

namespace Ipw.Core.Telemetry;

/// <summary>
/// The stepped counters a session reads alone between full samples (<see cref="ICounterReads"/>): which sources, which
/// metrics, and how often (<see cref="CounterClock.PlacingReads"/> of the fastest). Read under the session's lock.
/// </summary>
internal sealed class CounterReads
{
    private readonly (ICounterReads Source, int Offset)[] _sources;
    private readonly int[] _metrics;
    private readonly double[] _values;

    private CounterReads((ICounterReads, int)[] sources, int[] metrics, int metricCount, TimeSpan interval)
    {
        _sources = sources;
        _metrics = metrics;
        _values = new double[metricCount];
        Interval = interval;
    }

    /// <summary>How often they are read, on average (each wait drawn between half and one and a half of it).</summary>
    public TimeSpan Interval { get; }

    /// <summary>The counters of <paramref name="sources"/> that can be read alone and step (none: null).</summary>
    public static CounterReads? For(IEnumerable<(ITelemetrySource Source, int Offset)> sources, IReadOnlyList<SessionMetric> metrics)
    {
        var chosen = new List<(ICounterReads, int)>();
        var indices = new List<int>();
        var interval = TimeSpan.MaxValue;
        foreach (var (source, offset) in sources)
        {
            if (source is not ICounterReads reads) continue;
            var stepped = reads.Counters.Select(c => offset + c)
                .Where(m => m < metrics.Count && CounterClock.Of(metrics[m].Info) is { Stepped: true } clock && clock.PlacingReads > TimeSpan.Zero).ToList();
            if (stepped.Count == 0) continue;
            chosen.Add((reads, offset));
            indices.AddRange(stepped);
            interval = stepped.Select(m => CounterClock.Of(metrics[m].Info).PlacingReads).Append(interval).Min();
        }
        return chosen.Count == 0 ? null : new CounterReads([.. chosen], [.. indices], metrics.Count, interval);
    }

    /// <summary>Reads the counters now; hands each (stamp, metric, value) to <paramref name="each"/>.</summary>
    public void Read(Action<long, int, double> each)
    {
        var before = Stopwatch.GetTimestamp();
        foreach (var (source, offset) in _sources)
        {
            var span = _values.AsSpan(offset);
            try
            {
                source.ReadCounters(span);
            }
            catch (Exception)
            {
                foreach (var c in source.Counters) if (c < span.Length) span[c] = double.NaN;
            }
        }
        var stamp = before + (Stopwatch.GetTimestamp() - before) / 2;
        foreach (var m in _metrics) each(stamp, m, _values[m]);
    }
}
