using Ipw.Core.Energy;
using Ipw.Core.Measurement;

namespace Ipw.Core.Tests;

/// <summary>A baseline window read the way the profiler reads it: the first reading as the session starts, the
/// window's start at once, a dithered 50 ms sampler (or the baseline's own reads every 5–15 ms), then reads every 20 ms until a step is placed past the window's
/// end. On a 100 ms counter up to 10 ms off its grid, at 60 W, the window must read 60 W.</summary>
public class CounterBaselineTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void A_two_second_window_on_a_jittery_counter_reads_its_power_without_bias()
    {
        var (ends, _) = Windows();
        var mean = ends.Average();
        var rms = Rms(ends);
        output.WriteLine($"bias {mean:F3} W, rms {rms:F3} W");
        Assert.InRange(mean, -0.25, 0.25);
        Assert.True(rms < 0.6, $"rms {rms:F3} W");
    }

    [Fact]
    public void The_slope_through_every_step_beats_the_two_ends()
    {
        // The idle baseline's estimate, read as a baseline window reads (every 5–15 ms): each end of the window rests on
        // one step, whose value is exact at a moment up to 10 ms off the grid; the line through all of them averages
        // that out.
        var (ends, slopes) = Windows(5_000, 15_000);
        output.WriteLine($"ends: bias {ends.Average():F3} W, rms {Rms(ends):F3} W; slope: bias {slopes.Average():F3} W, rms {Rms(slopes):F3} W");
        Assert.InRange(slopes.Average(), -0.05, 0.05);
        Assert.True(Rms(slopes) < 0.15 && Rms(slopes) < 0.6 * Rms(ends), $"slope rms {Rms(slopes):F3} W against the ends' {Rms(ends):F3} W");
    }

    private static double Rms(List<double> v) => Math.Sqrt(v.Average(e => e * e));

    private static (List<double> Ends, List<double> Slopes) Windows(int readMin = 25_000, int readMax = 75_000)
    {
        var ends = new List<double>();
        var slopes = new List<double>();
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
            for (t += rng.Next(readMin, readMax); t < t0 + 2_000_000; t += rng.Next(readMin, readMax)) track.Add(t, Counter(t));
            var t1 = t0 + 2_000_000;
            for (t = t1; track.Horizon < t1; t += 20_000) track.Add(t, Counter(t));
            ends.Add((track.At(t1) - track.At(t0)) / 2.0 - 60);
            // The slope is per tick here (a million ticks a second in this test, not the stopwatch's).
            var fit = IdleBaseline.StepSlope(track.Knots(), t0, t1) ?? throw new InvalidOperationException("no fit");
            slopes.Add(fit.SlopeW * 1e6 / System.Diagnostics.Stopwatch.Frequency - 60);
        }
        return (ends, slopes);
    }
}
