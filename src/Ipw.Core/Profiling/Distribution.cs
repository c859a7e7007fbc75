using System.Numerics;
using System.Runtime.InteropServices;
using Ipw.Abstractions;

namespace Ipw.Core.Profiling;

/// <summary>
/// Every value of a run-long series, kept exactly (8 bytes a value as doubles, 4 as floats: a 100,000-query run's
/// per-query series is under 1 MB), so its percentiles are the one definition's (<see cref="Statistics.Percentile(ReadOnlySpan{double}, double)"/>),
/// never a histogram's approximation. The values are sorted when a figure is asked for: only those added since the
/// last time are sorted and merged in, so a summary rewritten every few seconds costs a pass, not a sort. NaN (not
/// measured) is left out. Not thread-safe.
/// </summary>
public sealed class Distribution<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private T[] _values = [];
    private int _count, _sorted;
    private double _sum;

    /// <summary>Values added.</summary>
    public int Count => _count;

    public void Add(T value)
    {
        if (T.IsNaN(value)) return;
        if (_count == _values.Length) Array.Resize(ref _values, Math.Max(64, _values.Length * 2));
        _values[_count++] = value;
        _sum += double.CreateTruncating(value);
    }

    /// <summary>Forgets every value (keeping the storage).</summary>
    public void Clear()
    {
        _count = _sorted = 0;
        _sum = 0;
    }

    /// <summary>Adds every value of <paramref name="values"/> (converted to <typeparamref name="T"/>).</summary>
    public void AddRange(ReadOnlySpan<double> values)
    {
        foreach (var v in values) Add(T.CreateTruncating(v));
    }

    public double? Mean => _count == 0 ? null : _sum / _count;

    public double? Max => _count == 0 ? null : double.CreateTruncating(Sorted()[^1]);

    /// <summary>The population standard deviation (NumPy's <c>std</c>, as vLLM reports it); null when empty.</summary>
    public double? StandardDeviation
    {
        get
        {
            if (_count == 0) return null;
            var mean = _sum / _count;
            var squares = 0.0;
            foreach (var v in _values.AsSpan(0, _count))
            {
                var d = double.CreateTruncating(v) - mean;
                squares += d * d;
            }
            return Math.Sqrt(squares / _count);
        }
    }

    /// <summary>The value at <paramref name="percent"/> (0–100) by the one definition; null when nothing was added.</summary>
    public double? Percentile(double percent) => _count == 0 ? null : Interpolate(Sorted(), percent);

    /// <summary>The values in ascending order (valid until the next <see cref="Add"/>).</summary>
    public ReadOnlySpan<T> Sorted()
    {
        if (_sorted < _count)
        {
            var tail = _values.AsSpan(_sorted, _count - _sorted);
            tail.Sort();
            if (_sorted > 0 && tail[0] < _values[_sorted - 1]) MergeTail();
            _sorted = _count;
        }
        return _values.AsSpan(0, _count);
    }

    /// <summary>count, mean, p50, p90, p99 and max; null when nothing was added.</summary>
    public Summary.DistributionSummary? ToSummary() =>
        _count == 0 ? null : new(_count, Mean, Percentile(50), Percentile(90), Percentile(99), Max);

    /// <summary>Merges the sorted tail (what came since the last sort) into the sorted head, from the back, in place.</summary>
    private void MergeTail()
    {
        var tail = _values.AsSpan(_sorted, _count - _sorted).ToArray();
        int i = _sorted - 1, j = tail.Length - 1, k = _count - 1;
        while (j >= 0) _values[k--] = i >= 0 && _values[i] > tail[j] ? _values[i--] : tail[j--];
    }

    private static double Interpolate(ReadOnlySpan<T> sorted, double percent)
    {
        if (typeof(T) == typeof(double)) return Statistics.Percentile(MemoryMarshal.Cast<T, double>(sorted), percent);
        if (typeof(T) == typeof(float)) return Statistics.Percentile(MemoryMarshal.Cast<T, float>(sorted), percent);
        throw new NotSupportedException($"percentiles of {typeof(T).Name}");
    }
}
