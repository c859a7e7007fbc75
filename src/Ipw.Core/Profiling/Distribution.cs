using HdrHistogram;

namespace Ipw.Core.Profiling;

/// <summary>
/// Percentiles of a run-long series in constant memory (HdrHistogram, 3 significant digits: ≤ 0.1 % error),
/// so a 100,000-query run keeps no per-query list. Values are recorded in <paramref name="unit"/> steps
/// (e.g. 1e-6 for microseconds).
/// </summary>
internal sealed class Distribution(double unit, double highest)
{
    private readonly LongHistogram _histogram = new((long)Math.Ceiling(highest / unit), 3);
    private double _max = double.NaN, _min = double.NaN, _sum;

    public long Count => _histogram.TotalCount;

    public void Add(double value)
    {
        if (double.IsNaN(value)) return;
        var v = Math.Clamp((long)Math.Round(Math.Max(0, value) / unit), 0, _histogram.HighestTrackableValue);
        _histogram.RecordValue(v);
        _max = double.IsNaN(_max) ? value : Math.Max(_max, value);
        _min = double.IsNaN(_min) ? value : Math.Min(_min, value);
        _sum += value;
    }

    /// <summary>The value at percentile <paramref name="p"/> (0–100), kept within the values actually seen.</summary>
    public double? Percentile(double p) => Count == 0 ? null : Math.Clamp(_histogram.GetValueAtPercentile(p) * unit, _min, _max);
    public double? Max => Count == 0 ? null : _max;
    public double? Mean => Count == 0 ? null : _sum / Count;

    /// <summary>count, mean, p50, p90, p99 and max; null when nothing was recorded.</summary>
    public Summary.DistributionSummary? ToSummary() =>
        Count == 0 ? null : new(Count, Mean, Percentile(50), Percentile(90), Percentile(99), Max);
}
