using System.Diagnostics;
using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;
using Ipw.Core.Records;
using Ipw.Core.Runs;

namespace Ipw.Core.Tests;

/// <summary>
/// The idle baseline on synthetic counters whose energy is known exactly: a baseline window before the run, queries,
/// a window after it, then the records' final active energy (<see cref="ActiveEnergyFinaliser"/>) against the idle
/// power interpolated between the two windows.
/// </summary>
public class IdleBaselineTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    private static void Feed(EnergyAttributor a, Func<double, double> energyJAtMs, double stepMs, double readMs, double fromMs, double toMs) =>
        EnergyAttributorTests.Feed(a, energyJAtMs, stepMs, readMs, fromMs, toMs);

    /// <summary>Baseline [0, 2000], queries of 300 ms every 500 ms over [2500, 12500], baseline [13000, 15000].</summary>
    private static (EnergyAttributor A, IdleSummary Idle, List<AttributedEnergy> Queries, double SpanS) Run(Func<double, double> e, CounterClock clock,
        double stepMs = 20, double readMs = 5)
    {
        var a = new EnergyAttributor([clock]);
        a.Hold(0);
        Feed(a, e, stepMs, readMs, 0, 2500);
        var before = IdleBaseline.Measure(a, "before", 0, 2000 * Ms);
        a.Release();
        a.StartMeasuring(2500 * Ms);
        for (var start = 2500.0; start < 12500; start += 500)
        {
            var (id, _) = a.Begin((long)(start * Ms));
            Feed(a, e, stepMs, readMs, start, start + 499);
            a.End(id, (long)((start + 300) * Ms), (long)((start + 50) * Ms), start);
        }
        Feed(a, e, stepMs, readMs, 12500, 12600);
        a.Finish(12500 * Ms);
        a.Hold(13000 * Ms);
        Feed(a, e, stepMs, readMs, 12600, 15500);
        var after = IdleBaseline.Measure(a, "after", 13000 * Ms, 15000 * Ms);
        return (a, new IdleSummary(before, after), a.Drain().Select(d => d.Energy).ToList(), 10.0);
    }

    [Fact]
    public void Idle_that_drifts_with_no_load_leaves_no_active_energy_and_is_flagged()
    {
        // Idle falls linearly from 100 W to 60 W over 15 s and the queries draw nothing: their active energy is 0.
        static double E(double ms) => 0.1 * ms - 0.04 / 2 * ms * ms / 15000;
        var (a, idle, queries, span) = Run(E, CounterClock.Every(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(20, queries.Count);
        Assert.Equal(-40 * 13.0 / 15, idle.DriftW!.Value, 0.5);
        Assert.True(idle.Drifted, $"drift {idle.DriftW} W, uncertainty {idle.DriftUncertaintyW} W");
        Assert.Contains("baseline_drift", idle.Flags);

        var finaliser = new ActiveEnergyFinaliser();
        foreach (var q in queries) finaliser.Add(q);
        var finals = finaliser.Close(idle).Active;
        Assert.All(finals, f => Assert.InRange(f, -0.2, 0.2));
        // Before the fix the window before the run was charged throughout: about −3.6 J each, −72 J in all.
        var live = queries.Sum(q => ActiveEnergy.Of(q.ShareJ, q.ShareSeconds, idle.PowerW)!.Value);
        Assert.True(live < -50, $"the live values sum to {live} J");
        Assert.InRange(finals.Sum(), -1, 1);

        // One definition: the queries' final active energy plus the idle gaps' is the run's.
        var mid = a.MeasuringFrom + (long)(span / 2 * Stopwatch.Frequency);
        var run = ActiveEnergy.Of(a.MeasuredJ, span, idle.At(mid))!.Value;
        var gaps = ActiveEnergy.Of(a.UnattributedJ, a.UnattributedSeconds, idle.At(a.UnattributedMidT))!.Value;
        Assert.Equal(run, finals.Sum() + gaps, 1e-6);
    }

    [Fact]
    public void A_steady_idle_is_not_flagged_and_active_energy_is_the_querys_own()
    {
        // 60 W idle; each query draws 100 W more for its 300 ms: 30 J each.
        static double E(double ms)
        {
            var extra = 0.0;
            for (var s = 2500.0; s < 12500 && s < ms; s += 500) extra += 0.1 * (Math.Min(ms, s + 300) - s);
            return 0.06 * ms + extra;
        }
        var (_, idle, queries, _) = Run(E, CounterClock.Every(TimeSpan.FromMilliseconds(20)));
        Assert.False(idle.Drifted, $"drift {idle.DriftW} W, uncertainty {idle.DriftUncertaintyW} W");
        Assert.Empty(idle.Flags);
        var finaliser = new ActiveEnergyFinaliser();
        foreach (var q in queries) finaliser.Add(q);
        Assert.All(finaliser.Close(idle).Active, f => Assert.Equal(30, f, 0.5));
    }

    [Fact]
    public void A_slow_counter_of_unknown_period_is_placed_between_reads_and_its_baseline_is_flagged()
    {
        // 120 W idle on a counter that steps once a second, its period unknown. Taken as current at read time, each
        // step was charged to the read that saw it; placed between the reads around it, the baseline is right, but it
        // rests on two steps: flagged.
        static double E(double ms) => 0.12 * ms;
        var a = new EnergyAttributor([CounterClock.Unknown]);
        Assert.True(a.PeriodUnknown);
        Assert.Equal(MetricInfo.SlowestPlausiblePeriod, a.CounterPeriod);
        a.Hold(0);
        Feed(a, E, 1000, 50, 0, 3100);
        var m = IdleBaseline.Measure(a, "before", 500 * Ms, 2500 * Ms)!;
        Assert.Equal(120, m.MeanW, 1.5);
        Assert.Equal(2, m.CounterSteps);
        Assert.Contains("few_counter_steps", m.Flags);
        Assert.Null(m.SigmaW); // one bin: unknown, not 0
        Assert.Contains("baseline_few_counter_steps", new IdleSummary(m, null).Flags);
    }

    [Fact]
    public void Windows_on_a_counter_of_unknown_period_are_judged_against_the_slowest_plausible_one()
    {
        static double E(double ms) => 0.12 * ms;
        var a = new EnergyAttributor([CounterClock.Unknown]);
        Feed(a, E, 1000, 50, 0, 1000);
        a.StartMeasuring(1000 * Ms);
        var (id, _) = a.Begin(1200 * Ms);
        Feed(a, E, 1000, 50, 1050, 4100);
        a.End(id, 1217 * Ms, 1205 * Ms);
        a.Finish(4000 * Ms);
        var (q, _) = Assert.Single(a.Drain());
        Assert.Contains("short_window", q.Flags);
        Assert.Contains("period_unknown", q.Flags);
        Assert.Equal(1.0, q.CounterPeriodS, 9);
    }

    [Fact]
    public void The_finaliser_rewrites_the_data_files_active_energy_uncertainty_and_flags_in_order()
    {
        var before = new IdleMeasurement("before", 2, 120, 60, 0.5, 2) { MidT = 0, StandardErrorW = 0.1 };
        var after = new IdleMeasurement("after", 2, 180, 90, 0.5, 2) { MidT = 100 * Stopwatch.Frequency, StandardErrorW = 0.1 };
        var idle = new IdleSummary(before, after);
        var finaliser = new ActiveEnergyFinaliser();
        // Two queries at a quarter and three quarters of the way: idle 67.5 and 82.5 W.
        finaliser.Add(new AttributedEnergy(0, 100, 100, 1, 1, []) { WindowSeconds = 1, ShareMidT = 25 * Stopwatch.Frequency, CounterPeriodS = 0.1 });
        finaliser.Add(null);
        finaliser.Add(new AttributedEnergy(1, 100, 100, 1, 1, ["short_window"]) { WindowSeconds = 1, ShareMidT = 75 * Stopwatch.Frequency, CounterPeriodS = 0.1 });
        var finals = finaliser.Close(idle).Active;
        Assert.Equal([32.5, 17.5], finals.ToArray(), (x, y) => Math.Abs(x - y) < 1e-9);

        using var batch = RecordSchema.Layout.Batch([
            QueryRecord.Of(RecordColumns.ActiveEnergyJ.With(40.0), RecordColumns.EnergyQuality.With("ok"), RecordColumns.Response.With("a")),
            QueryRecord.Of(RecordColumns.Response.With("b")),
            QueryRecord.Of(RecordColumns.ActiveEnergyJ.With(40.0), RecordColumns.EnergyQuality.With("short_window"), RecordColumns.Response.With("c"))]);
        var rewritten = finaliser.Rewrite(batch);
        var active = (DoubleArray)rewritten.Column(RecordColumns.ActiveEnergyJ.Name);
        var error = (DoubleArray)rewritten.Column(RecordColumns.ActiveEnergyJErr.Name);
        var quality = (StringArray)rewritten.Column(RecordColumns.EnergyQuality.Name);
        Assert.Equal([32.5, null, 17.5], Enumerable.Range(0, 3).Select(i => active.GetValue(i)));
        Assert.Null(error.GetValue(1));
        Assert.True(error.GetValue(0) > 0);
        Assert.Equal(["baseline_drift", null, "short_window,baseline_drift"], Enumerable.Range(0, 3).Select(i => quality.GetString(i)));
        Assert.Equal("b", ((StringArray)rewritten.Column(RecordColumns.Response.Name)).GetString(1)); // other columns kept
    }
}
