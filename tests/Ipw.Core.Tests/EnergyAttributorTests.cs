using System.Diagnostics;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;

namespace Ipw.Core.Tests;

/// <summary>The attributor on synthetic counters whose energy is known exactly: a power function integrated
/// analytically and published every <c>step</c> like a real counter.</summary>
public class EnergyAttributorTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    /// <summary>A counter publishing ∫power every stepMs, read every readMs, fed to the attributor up to endMs.</summary>
    internal static void Feed(EnergyAttributor a, Func<double, double> energyJAtMs, double stepMs, double readMs, double fromMs, double toMs)
    {
        for (var t = fromMs; t <= toMs + 1e-9; t += readMs)
        {
            var published = Math.Floor(t / stepMs) * stepMs;
            a.AddReading((long)(t * Ms), [energyJAtMs(published)]);
        }
    }

    [Fact]
    public void A_query_alone_owns_its_window_and_idle_gaps_are_unattributed()
    {
        // 50 W idle; 250 W between 1000 and 2000 ms: the query's window.
        static double E(double ms) => 0.05 * ms + (ms <= 1000 ? 0 : 0.2 * (Math.Min(ms, 2000) - 1000));
        var a = new EnergyAttributor([CounterClock.Every(TimeSpan.FromMilliseconds(1))]);
        Feed(a, E, 1, 1, 0, 500);
        a.StartMeasuring(500 * Ms);
        var (id, _) = a.Begin(1000 * Ms);
        Feed(a, E, 1, 1, 501, 1999);
        a.End(id, 2000 * Ms, 1100 * Ms);
        Feed(a, E, 1, 1, 2000, 2600);
        a.Finish(2500 * Ms);
        var (result, _) = Assert.Single(a.Drain());
        Assert.Equal(250.0, result.ShareJ, 0.5);          // 1 s at 250 W
        Assert.Equal(result.ShareJ, result.WindowJ, 1e-9);  // alone: share = window
        Assert.Equal(1.0, result.MeanConcurrency, 1e-9);
        Assert.Equal(1.0, result.ShareSeconds, 1e-6);
        Assert.Equal(50.0, a.UnattributedJ, 0.5);           // 0.5 s before + 0.5 s after at 50 W
        Assert.Equal(a.MeasuredJ, a.AttributedJ + a.UnattributedJ, 1e-9);
        Assert.Empty(result.Flags);
    }

    [Fact]
    public void Overlapping_queries_share_each_interval_equally_and_the_books_balance()
    {
        // Constant 100 W. Query A [0, 2000], B [1000, 3000]: A gets 100 + 50, B 50 + 100 J.
        static double E(double ms) => 0.1 * ms;
        var a = new EnergyAttributor([CounterClock.Every(TimeSpan.FromMilliseconds(10))]);
        Feed(a, E, 10, 5, 0, 0);
        a.StartMeasuring(0);
        var (qa, _) = a.Begin(0);
        Feed(a, E, 10, 5, 5, 995);
        var (qb, _) = a.Begin(1000 * Ms);
        Feed(a, E, 10, 5, 1000, 3100);
        a.End(qa, 2000 * Ms, 100 * Ms, "A");
        a.End(qb, 3000 * Ms, 1100 * Ms, "B");
        a.Finish(3000 * Ms);
        var results = a.Drain().ToDictionary(r => (string)r.Tag!, r => r.Energy);
        Assert.Equal(150.0, results["A"].ShareJ, 0.6);
        Assert.Equal(150.0, results["B"].ShareJ, 0.6);
        Assert.Equal(200.0, results["A"].WindowJ, 0.6);
        Assert.Equal(1.5, results["A"].MeanConcurrency, 0.01);
        Assert.Equal(a.MeasuredJ, results["A"].ShareJ + results["B"].ShareJ + a.UnattributedJ, 1e-9);
    }

    [Fact]
    public void Phase_weighting_gives_prefill_its_weight_against_decode()
    {
        // Constant 100 W over [0, 1000] with A in prefill (weight 3) and B decoding: A gets 75 J, B 25 J.
        static double E(double ms) => 0.1 * ms;
        var a = new EnergyAttributor([CounterClock.Every(TimeSpan.FromMilliseconds(1))], AttributionMethod.Phase, prefillWeight: 3);
        Feed(a, E, 1, 1, 0, 0);
        a.StartMeasuring(0);
        var (qb, _) = a.Begin(0);
        var (qa, _) = a.Begin(0);
        Feed(a, E, 1, 1, 1, 1100);
        a.End(qa, 1000 * Ms, 1000 * Ms, "A"); // prefill all along
        a.End(qb, 1000 * Ms, 0, "B");         // decoding all along
        a.Finish(1000 * Ms);
        var results = a.Drain().ToDictionary(r => (string)r.Tag!, r => r.Energy);
        Assert.Equal(75.0, results["A"].ShareJ, 0.2);
        Assert.Equal(25.0, results["B"].ShareJ, 0.2);
    }

    [Fact]
    public void Conservation_holds_for_random_concurrent_load_on_a_stepped_counter()
    {
        var rng = new Random(42);
        // Power: 80 W idle plus a random walk, integrated numerically at 1 ms; a 20 ms counter read every ~7 ms.
        var energy = new double[20001];
        var p = 80.0;
        for (var i = 1; i < energy.Length; i++)
        {
            p = Math.Clamp(p + rng.NextDouble() * 10 - 5, 40, 400);
            energy[i] = energy[i - 1] + p / 1000;
        }
        double E(double ms) => energy[(int)Math.Clamp(ms, 0, energy.Length - 1)];
        var a = new EnergyAttributor([CounterClock.Every(TimeSpan.FromMilliseconds(20))], AttributionMethod.Phase, 2.5);
        var queries = new List<(double Start, double First, double End)>();
        for (var k = 0; k < 300; k++)
        {
            var s = rng.NextDouble() * 16000 + 500;
            var len = rng.NextDouble() * 1500 + 1;
            queries.Add((s, s + rng.NextDouble() * len, s + len));
        }
        queries.Sort();
        var ids = new List<int>();
        double t = 0;
        Feed(a, E, 20, 7, 0, 400);
        a.Hold(0); // keep the counter's history, to check the total against it
        a.StartMeasuring(400 * Ms);
        var pendingEnds = new List<(double End, int Id, double First)>();
        foreach (var q in queries)
        {
            Feed(a, E, 20, 7, Math.Max(t, 400), q.Start);
            t = q.Start;
            foreach (var e in pendingEnds.Where(e => e.End <= q.Start).ToList())
            {
                a.End(e.Id, (long)(e.End * Ms), (long)(e.First * Ms));
                pendingEnds.Remove(e);
            }
            var (id, _) = a.Begin((long)(q.Start * Ms));
            pendingEnds.Add((q.End, id, q.First));
        }
        foreach (var e in pendingEnds) a.End(e.Id, (long)(e.End * Ms), (long)(e.First * Ms));
        Feed(a, E, 20, 7, t, 20000);
        a.Finish(19900 * Ms);
        var results = a.Drain();
        Assert.Equal(300, results.Count);
        var shares = results.Sum(r => r.Energy.ShareJ);
        // Exact bookkeeping: shares + unattributed = measured, to floating-point rounding.
        Assert.True(Math.Abs(shares + a.UnattributedJ - a.MeasuredJ) <= 1e-9 * a.MeasuredJ,
            $"shares {shares} + unattributed {a.UnattributedJ} != measured {a.MeasuredJ}");
        Assert.Equal(a.AttributedJ, shares, 1e-6);
        // And the measured total is the counter's own delta over the span.
        Assert.Equal(a.CounterAt(19900 * Ms) - a.CounterAt(400 * Ms), a.MeasuredJ, 1e-6);
    }

    [Fact]
    public void A_stale_counter_reading_is_placed_at_its_update_time_not_read_time()
    {
        // 100 W, counter published every 100 ms, read every 10 ms: interpolation at 550 ms must give 55 J,
        // not the 50 J a read-time stamp would show.
        static double E(double ms) => 0.1 * ms;
        var a = new EnergyAttributor([CounterClock.Every(TimeSpan.FromMilliseconds(100))]);
        Feed(a, E, 100, 10, 0, 1000);
        Assert.Equal(55.0, a.CounterAt(550 * Ms), 1.0);
    }

    [Fact]
    public void Short_windows_and_read_failures_are_flagged_and_uncovered_queries_are_unknown_not_zero()
    {
        static double E(double ms) => 0.1 * ms;
        var a = new EnergyAttributor([CounterClock.Every(TimeSpan.FromMilliseconds(100))]);
        Feed(a, E, 100, 10, 0, 300);
        a.StartMeasuring(300 * Ms);
        var (shortQ, _) = a.Begin(310 * Ms);
        Feed(a, E, 100, 10, 310, 400);
        a.End(shortQ, 350 * Ms, 320 * Ms, "short");
        var (gapQ, _) = a.Begin(400 * Ms);
        a.AddReading(410 * Ms, [double.NaN]);
        a.AddReading(420 * Ms, [double.NaN]);
        Feed(a, E, 100, 10, 430, 1200);
        a.End(gapQ, 1000 * Ms, 450 * Ms, "gap");
        var (lateQ, _) = a.Begin(1100 * Ms);
        a.End(lateQ, 5000 * Ms, 1200 * Ms, "late"); // the counter never reaches its end
        a.Finish(5000 * Ms);
        var results = a.Drain().ToDictionary(r => (string)r.Tag!, r => r.Energy);
        Assert.Contains("short_window", results["short"].Flags);
        Assert.Contains("missing_samples", results["gap"].Flags);
        Assert.True(double.IsNaN(results["late"].ShareJ));
        Assert.Contains("no_counter_data", results["late"].Flags);
    }
}
