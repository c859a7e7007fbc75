using Ipw.Abstractions;
using Ipw.Core.Profiling;
using MathNet.Numerics.Statistics;
using Statistics = Ipw.Abstractions.Statistics;

namespace Ipw.Core.Tests;

/// <summary>The one percentile definition (NumPy's default, Hyndman–Fan R7, as vLLM's bench serve) and the exact
/// run-long distribution that uses it.</summary>
public sealed class PercentileTests
{
    [Theory]
    // numpy.percentile([1, 2, 3, 4], [0, 50, 90, 99, 100])
    [InlineData(new double[] { 1, 2, 3, 4 }, 0, 1.0)]
    [InlineData(new double[] { 1, 2, 3, 4 }, 50, 2.5)]
    [InlineData(new double[] { 1, 2, 3, 4 }, 90, 3.7)]
    [InlineData(new double[] { 1, 2, 3, 4 }, 99, 3.97)]
    [InlineData(new double[] { 1, 2, 3, 4 }, 100, 4.0)]
    // numpy.percentile([15, 20, 35, 40, 50], [5, 30, 40, 95])
    [InlineData(new double[] { 15, 20, 35, 40, 50 }, 5, 16.0)]
    [InlineData(new double[] { 15, 20, 35, 40, 50 }, 30, 23.0)]
    [InlineData(new double[] { 15, 20, 35, 40, 50 }, 40, 29.0)]
    [InlineData(new double[] { 15, 20, 35, 40, 50 }, 95, 48.0)]
    // A single value is every percentile.
    [InlineData(new double[] { 0.25 }, 0, 0.25)]
    [InlineData(new double[] { 0.25 }, 50, 0.25)]
    [InlineData(new double[] { 0.25 }, 99, 0.25)]
    public void Percentiles_are_numpys(double[] sorted, double percent, double numpy)
    {
        Assert.Equal(numpy, Statistics.Percentile(sorted, percent), 12);
        Assert.Equal(numpy, Statistics.Percentile(sorted.Select(v => (float)v).ToArray(), percent), 5);
    }

    [Fact]
    public void Percentiles_agree_with_mathnets_R7_quantile()
    {
        var random = new Random(11);
        foreach (var n in new[] { 2, 3, 10, 101, 1000 })
        {
            var data = Enumerable.Range(0, n).Select(_ => Math.Exp(random.NextDouble() * 6)).ToArray();
            var sorted = data.Order().ToArray();
            foreach (var p in new[] { 0.0, 1, 12.5, 50, 90, 95, 99, 99.9, 100 })
                Assert.Equal(data.QuantileCustom(p / 100, QuantileDefinition.R7), Statistics.Percentile(sorted, p), 9);
        }
    }

    [Fact]
    public void No_values_or_a_percent_outside_0_to_100_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Statistics.Percentile(ReadOnlySpan<double>.Empty, 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.Percentile([1.0, 2.0], 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.Percentile([1.0, 2.0], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Statistics.Percentile([1.0, 2.0], double.NaN));
    }

    [Fact]
    public void A_distribution_keeps_every_value_exactly_however_it_is_read_between_additions()
    {
        var random = new Random(5);
        var all = new List<double>();
        var d = new Distribution<double>();
        for (var batch = 0; batch < 20; batch++)
        {
            for (var i = 0; i < 37; i++)
            {
                var v = random.NextDouble() * (batch % 3 == 0 ? 10 : 1);
                all.Add(v);
                d.Add(v);
            }
            d.Add(double.NaN); // not measured: left out
            // Read between additions, as the summary is rewritten during a run: what comes later is merged in.
            var sorted = all.Order().ToArray();
            Assert.Equal(sorted, d.Sorted().ToArray());
            Assert.Equal(Statistics.Percentile(sorted, 99), d.Percentile(99));
        }
        Assert.Equal(all.Count, d.Count);
        Assert.Equal(all.Average(), d.Mean!.Value, 12);
        Assert.Equal(all.Max(), d.Max);
        var s = d.ToSummary()!;
        Assert.Equal(Statistics.Percentile(all.Order().ToArray(), 50), s.P50);
    }

    [Fact]
    public void A_distribution_reports_numpys_mean_std_and_percentiles_and_nothing_when_empty()
    {
        var d = new Distribution<float>();
        Assert.Null(d.Percentile(50));
        Assert.Null(d.Mean);
        Assert.Null(d.StandardDeviation);
        Assert.Null(d.ToSummary());
        d.AddRange([4, 1, 3, 2]);
        Assert.Equal(2.5, d.Mean);
        Assert.Equal(1.118033988749895, d.StandardDeviation!.Value, 12); // numpy.std([1, 2, 3, 4])
        Assert.Equal(3.97, d.Percentile(99)!.Value, 5);
        Assert.Equal(4, d.Max);
    }
}
