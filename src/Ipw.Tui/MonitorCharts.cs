using Ipw.Abstractions;
using Ipw.Core.Measurement;

namespace Ipw.Tui;

/// <summary>
/// The monitor's chart lines, from telemetry samples and the queries' energy: energy counters become power lines (the
/// counter's change over about a second) and energy-since-start lines; power, temperature and memory are charted as
/// read, a power gauge only for a device without a counter; NaN values (failed reads) leave a gap. Not thread-safe:
/// <see cref="MonitorModel"/> calls it under its lock.
/// </summary>
internal sealed class MonitorCharts
{
    private readonly Dictionary<string, ChartSeries> _series = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MonitorCounter> _counters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _devicesWithCounters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _lastKept = new(StringComparer.Ordinal);

    /// <summary>The lines of one kind: power (W, from counters where there are some), energy, temperature, memory.</summary>
    public IReadOnlyList<ChartSeries> Of(MetricKind kind) =>
        _series.Where(p => p.Key.StartsWith(KindKey(kind), StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();

    /// <summary>The energy attributed to the queries so far, at <paramref name="t"/>.</summary>
    public void AddQueriesEnergy(double t, double joules) =>
        AddPoint(KindKey(MetricKind.Energy) + "queries", "attributed to queries", "J", t, joules, everySecond: false, cumulative: true);

    public void Declare(IReadOnlyList<MonitorMetric> metrics)
    {
        foreach (var m in metrics)
            if (m.Kind == MetricKind.Energy) _devicesWithCounters.Add(m.Device);
    }

    public void Add(double t, MonitorMetric m, double v)
    {
        if (double.IsNaN(v)) return;
        switch (m.Kind)
        {
            case MetricKind.Energy:
                AddCounter(t, m, v);
                break;
            case MetricKind.Power when !_devicesWithCounters.Contains(m.Device):
                AddPoint(KindKey(MetricKind.Power) + m.Name, m.Name, "W", t, v, everySecond: true);
                break;
            case MetricKind.Temperature:
                AddPoint(KindKey(MetricKind.Temperature) + m.Name, m.Name, "°C", t, v, everySecond: true);
                break;
            case MetricKind.Memory:
                AddPoint(KindKey(MetricKind.Memory) + m.Name, m.Name, "GiB", t, v / (1L << 30), everySecond: true);
                break;
        }
    }

    /// <summary>An energy counter becomes a power line (at most one point a second) and an energy line, read through the
    /// one counter model (<see cref="CounterTrack"/>, as the attributor reads it): a reset or failed read leaves a gap in
    /// the power line, and the energy line continues from where it was.</summary>
    private void AddCounter(double t, MonitorMetric m, double v)
    {
        if (!_counters.TryGetValue(m.Name, out var c))
            _counters[m.Name] = c = new MonitorCounter(m.Clock.Track(MonitorCounter.TicksPerSecond));
        c.Track.Add(MonitorCounter.Ticks(t), v);
        var horizon = c.Track.Horizon;
        if (horizon == long.MinValue) return;
        var now = c.Track.At(horizon);
        if (c.First is not { } first)
        {
            c.First = now;
            c.LastPoint = horizon;
            AddPoint(KindKey(MetricKind.Energy) + m.Name, $"{m.Name} (counter)", "J", MonitorCounter.Seconds(horizon), 0, everySecond: false);
            return;
        }
        if (horizon == c.LastPoint || MonitorCounter.Seconds(horizon) - MonitorCounter.Seconds(c.LastPoint) < 0.95) return;
        if (!c.Track.GapIn(c.LastPoint, horizon))
            AddPoint(KindKey(MetricKind.Power) + m.Name, $"{m.Name} (counter)", "W", MonitorCounter.Seconds(horizon),
                (now - c.Track.At(c.LastPoint)) / (MonitorCounter.Seconds(horizon) - MonitorCounter.Seconds(c.LastPoint)), everySecond: false);
        c.LastPoint = horizon;
        AddPoint(KindKey(MetricKind.Energy) + m.Name, $"{m.Name} (counter)", "J", MonitorCounter.Seconds(horizon), now - first, everySecond: false);
    }

    private static string KindKey(MetricKind kind) => kind.ToString() + "/";

    private void AddPoint(string key, string name, string unit, double t, double v, bool everySecond, bool cumulative = false)
    {
        if (everySecond && _lastKept.TryGetValue(key, out var last) && t - last < 0.95) return;
        _lastKept[key] = t;
        if (!_series.TryGetValue(key, out var s)) _series[key] = s = new ChartSeries(name, unit, cumulative);
        s.Add(t, v, MonitorModel.KeptPoints);
    }
}
