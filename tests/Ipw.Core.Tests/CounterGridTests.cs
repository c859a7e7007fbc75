using Ipw.Core.Measurement;

namespace Ipw.Core.Tests;

/// <summary>Step times narrowed by the counter's clock: a counter publishing every 100 ms (up to ±10 ms off its grid),
/// read every 50 ms, whose steps the reads alone place to ±25 ms.</summary>
public class CounterGridTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(10.0)]
    public void Steps_are_placed_on_the_counters_clock_within_what_the_reads_allow(double jitterMs)
    {
        var rng = new Random(3);
        // Publication k at 100 k + jitter (µs ticks), carrying 10 k J.
        var published = Enumerable.Range(0, 400).Select(k => 100_000.0 * k + 30_000 + (rng.NextDouble() * 2 - 1) * jitterMs * 1000).ToArray();
        var track = new CounterTrack(periodTicks: 100_000);
        for (var t = 0L; t < 40_000_000; t += rng.Next(25_000, 75_000)) // a dithered 50 ms sampler
        {
            var k = published.Count(p => p <= t);
            track.Add(t, 10.0 * k);
        }
        var knots = track.Knots();
        // The period as a probe of a few intervals learns it: 3 % off.
        var refined = CounterGrid.Refine(knots, track.Brackets(), 97_000);
        double Error(IReadOnlyList<(long T, double V)> ks) =>
            ks.Where(k => k.V > 0).Select(k => Math.Abs(k.T - published[(int)(k.V / 10) - 1])).Average() / 1000;
        output.WriteLine($"jitter ±{jitterMs} ms: mean error {Error(knots):F2} ms from the reads, {Error(refined):F2} ms on the clock");
        Assert.True(Error(refined) < Error(knots) / (jitterMs > 0 ? 2 : 5), $"refined {Error(refined):F2} ms against {Error(knots):F2} ms");
        Assert.All(refined.Zip(track.Brackets()), p => Assert.InRange(p.First.T, p.Second.Low, p.Second.High));
    }
}
