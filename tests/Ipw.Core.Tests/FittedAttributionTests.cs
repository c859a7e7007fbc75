using System.Diagnostics;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;

namespace Ipw.Core.Tests;

/// <summary>
/// The fitted method on a synthetic trace whose per-query energy is known exactly: 60 W idle, each query 200 W more
/// while it prefills and 80 W while it decodes, published by a 100 ms counter read every 10 ms. Equal time shares and a
/// straight line between counter updates miss both the phases and the edges; the fitted model finds the watts from the
/// run and spreads each interval's energy by them.
/// </summary>
public class FittedAttributionTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;
    private const double IdleW = 60, PrefillW = 200, DecodeW = 80;

    private sealed record Q(double Start, double First, double End)
    {
        public double TruthJ => (PrefillW * (First - Start) + DecodeW * (End - First)) / 1000;
    }

    private static (double[] Energy, List<Q> Queries) Trace(int concurrency, int seed)
    {
        var rng = new Random(seed);
        var queries = new List<Q>();
        // Closed loop: each of `concurrency` slots runs queries back to back, with short random gaps, from 3 s to 13 s.
        for (var slot = 0; slot < concurrency; slot++)
        {
            var t = 3000 + rng.NextDouble() * 300;
            while (true)
            {
                var prefill = 100 + rng.NextDouble() * 200;
                var decode = 300 + rng.NextDouble() * 900;
                if (t + prefill + decode > 13000) break;
                queries.Add(new Q(t, t + prefill, t + prefill + decode));
                t += prefill + decode + rng.NextDouble() * 40;
            }
        }
        var energy = new double[16001];
        for (var ms = 1; ms < energy.Length; ms++)
        {
            var p = IdleW;
            foreach (var q in queries)
                if (ms > q.Start && ms <= q.End) p += ms <= q.First ? PrefillW : DecodeW;
            energy[ms] = energy[ms - 1] + p / 1000;
        }
        return (energy, queries);
    }

    private static (List<double> Errors, FinalEnergy Final, EnergyAttributor A) Run(AttributionMethod method, int concurrency, int seed = 7)
    {
        var (energy, queries) = Trace(concurrency, seed);
        var a = new EnergyAttributor([CounterClock.Every(TimeSpan.FromMilliseconds(100))], method, PrefillW / DecodeW);
        var next = 0.0;
        void FeedTo(double ms)
        {
            for (; next <= ms; next += 10) a.AddReading((long)(next * Ms), [energy[(int)(Math.Floor(next / 100) * 100)]]);
        }
        a.Hold(0);
        FeedTo(2600);
        var before = IdleBaseline.Measure(a, "before", 500 * Ms, 2500 * Ms);
        a.Release();
        a.StartMeasuring(2800 * Ms);
        var events = queries.Select((q, i) => (T: q.Start, Kind: 0, I: i)).Concat(queries.Select((q, i) => (T: q.End, Kind: 1, I: i))).OrderBy(e => e.T).ToList();
        var ids = new Dictionary<int, int>();
        foreach (var e in events)
        {
            FeedTo(e.T);
            if (e.Kind == 0) ids[e.I] = a.Begin((long)(e.T * Ms)).Id;
            else a.End(ids[e.I], (long)(queries[e.I].End * Ms), (long)(queries[e.I].First * Ms), e.I);
        }
        FeedTo(13300);
        a.Finish(13200 * Ms);
        a.Hold(13500 * Ms);
        FeedTo(15800);
        var after = IdleBaseline.Measure(a, "after", 13500 * Ms, 15500 * Ms);
        var drained = a.Drain().OrderBy(d => (int)d.Tag!).ToList();
        var finaliser = new ActiveEnergyFinaliser();
        foreach (var (e, _) in drained) finaliser.Add(e);
        var final = finaliser.Close(new IdleSummary(before, after), a);
        var errors = drained.Select((d, k) => Math.Abs(final.Active[k] - queries[(int)d.Tag!].TruthJ) / queries[(int)d.Tag!].TruthJ).ToList();
        return (errors, final, a);
    }

    private static double Median(List<double> v) => Ipw.Abstractions.Statistics.Percentile(v.Order().ToArray(), 50);

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void The_fitted_model_finds_each_querys_energy_where_equal_shares_and_straight_lines_miss(int concurrency)
    {
        var (fitted, final, _) = Run(AttributionMethod.Fitted, concurrency);
        var (overlap, _, _) = Run(AttributionMethod.Overlap, concurrency);
        var fit = Assert.Single(final.Fitted!.Counters);
        output.WriteLine($"c={concurrency}: fitted a={fit.PrefillW:F1} W b={fit.DecodeW:F1} W over {fit.Intervals} intervals; median {Median(fitted):P2} max {fitted.Max():P2}; overlap median {Median(overlap):P2} max {overlap.Max():P2}; n={fitted.Count}");
        Assert.Equal(PrefillW, fit.PrefillW!.Value, PrefillW * 0.03);
        Assert.Equal(DecodeW, fit.DecodeW!.Value, DecodeW * 0.03);
        Assert.True(Median(fitted) <= 0.01, $"fitted: median error {Median(fitted):P2}");
        Assert.True(fitted.Max() <= 0.05, $"fitted: max error {fitted.Max():P2}");
        Assert.True(Median(overlap) > 2 * Median(fitted), $"overlap {Median(overlap):P2} against fitted {Median(fitted):P2}");
    }

    [Fact]
    public void Every_counter_interval_keeps_the_energy_it_measured()
    {
        var (_, final, a) = Run(AttributionMethod.Fitted, 4);
        var run = final.Fitted!;
        Assert.Equal(run.GrossJ, run.Queries.Sum(q => q.ShareJ) + run.UnattributedJ, 1e-6);
        Assert.Equal(a.CounterAt(a.MeasuredTo) - a.CounterAt(a.MeasuringFrom), run.GrossJ, 0.5);
    }
}
