using Ipw.Core.Measurement;

namespace Ipw.Core.Tests;

/// <summary>A baseline window read the way the profiler reads it: the first reading as the session starts, the
/// window's start at once, a dithered 50 ms sampler, then reads every 20 ms until a step is placed past the window's
/// end. On a 100 ms counter up to 10 ms off its grid, at 60 W, the window must read 60 W.</summary>
public class CounterBaselineTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void A_two_second_window_on_a_jittery_counter_reads_its_power_without_bias()
    {
        var errors = new List<double>();
        for (var seed = 0; seed < 200; seed++)
        {
            var rng = new Random(seed);
            var offset = rng.NextDouble() * 100_000;
            var pubs = Enumerable.Range(0, 100).Select(k => offset + 100_000.0 * k + (rng.NextDouble() * 2 - 1) * 10_000).ToArray();
            double Counter(long t) { var last = pubs.LastOrDefault(p => p <= t, double.NaN); return double.IsNaN(last) ? 0 : 60e-6 * last; }
            var track = new CounterTrack(periodTicks: 100_000);
            long t = 1_000_000 + rng.Next(0, 100_000);
            track.Add(t, Counter(t));
            var t0 = t + 100;
            for (t += rng.Next(25_000, 75_000); t < t0 + 2_000_000; t += rng.Next(25_000, 75_000)) track.Add(t, Counter(t));
            var t1 = t0 + 2_000_000;
            for (t = t1; track.Horizon < t1; t += 20_000) track.Add(t, Counter(t));
            errors.Add((track.At(t1) - track.At(t0)) / 2.0 - 60);
        }
        var mean = errors.Average();
        var rms = Math.Sqrt(errors.Average(e => e * e));
        output.WriteLine($"bias {mean:F3} W, rms {rms:F3} W");
        Assert.InRange(mean, -0.25, 0.25);
        Assert.True(rms < 0.6, $"rms {rms:F3} W");
    }
}
