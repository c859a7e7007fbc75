using Ipw.Attribution;
using Ipw.Core.Energy;
using Xunit.Abstractions;

namespace Ipw.Attribution.Tests;

/// <summary>
/// Attribution error against the scripted truth (idle 60 W; each request adds 200 W in prefill and 80 W in
/// decode; the counter publishes every 20 ms). Tolerances: the issue's goals, median ≤ 2 % at concurrency 1
/// for queries of ≥ 1 s, and median ≤ 5 % at concurrency 8 (phase-weighted sharing, whose weight matches the
/// trace's prefill:decode ratio; plain time overlap is reported, and held to a looser bound, because equal
/// shares cannot tell a prefilling request from a decoding one).
/// </summary>
public sealed class AttributionAccuracyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private GroundTruth _truth = null!;

    public async Task InitializeAsync() =>
        _truth = await GroundTruth.StartAsync(NativeEnvironment.StandinLibrary("nvml-standin/libnvidia-ml.so.1"), energyStepMs: 20);

    public async Task DisposeAsync() => await _truth.DisposeAsync();

    private void Report(string label, RunResult r) =>
        output.WriteLine($"{label}: n={r.Errors.Count} median {r.Median:P2} p90 {r.Percentile(0.9):P2} max {r.Errors.Max():P2}; "
            + $"query length {r.DurationsS.Min():F2}-{r.DurationsS.Max():F2} s; conservation error {r.Energy.GetProperty("conservation_error_j").GetDouble():E2} J");

    [Fact]
    public async Task Per_query_energy_matches_the_scripted_truth_and_the_books_balance()
    {
        var c1 = await _truth.RunAsync(1, AttributionMethod.Overlap, queries: 6);
        Report("concurrency 1", c1);
        Assert.All(c1.DurationsS, d => Assert.True(d >= 1.0, $"a query took {d:F2} s; the goal is stated for queries of at least 1 s"));
        Assert.True(c1.Median <= 0.02, $"median error at concurrency 1 is {c1.Median:P2}");

        var phase = await _truth.RunAsync(8, AttributionMethod.Phase, queries: 24);
        Report("concurrency 8, phase-weighted", phase);
        Assert.True(phase.Median <= 0.05, $"median error at concurrency 8 (phase) is {phase.Median:P2}");

        var overlap = await _truth.RunAsync(8, AttributionMethod.Overlap, queries: 24);
        Report("concurrency 8, time overlap", overlap);
        Assert.True(overlap.Median <= 0.10, $"median error at concurrency 8 (overlap) is {overlap.Median:P2}");

        foreach (var r in new[] { c1, phase, overlap })
        {
            // Exact bookkeeping: shares + unattributed = measured.
            var gross = r.Energy.GetProperty("gross_j").GetDouble();
            var parts = r.Energy.GetProperty("attributed_j").GetDouble() + r.Energy.GetProperty("unattributed_j").GetDouble();
            Assert.True(Math.Abs(gross - parts) <= 1e-9 * gross, $"{gross} J measured, {parts} J accounted");
            // Idle power is the trace's 60 W.
            Assert.Equal(GroundTruth.IdleW, r.Energy.GetProperty("idle").GetProperty("power_w").GetDouble(), 0.5);
        }
    }

    [Fact]
    public async Task Drifting_idle_is_subtracted_by_one_definition_for_the_queries_and_the_run()
    {
        // Idle steps from 60 W to 90 W as measuring starts, so the baseline after the run reads 90 W.
        var r = await _truth.RunAsync(2, AttributionMethod.Overlap, queries: 4, baseTokens: 20, spread: 5,
            observer: new OnMeasuring(() => _truth.SetIdleDrift(30)));
        _truth.SetIdleDrift(0);
        var e = r.Energy;
        var idle = e.GetProperty("idle");
        output.WriteLine(idle.ToString());
        Assert.Equal(GroundTruth.IdleW, idle.GetProperty("power_w").GetDouble(), 1.0);
        Assert.Equal(GroundTruth.IdleW + 30, idle.GetProperty("after").GetProperty("power_w").GetDouble(), 1.0);
        Assert.Equal(30, idle.GetProperty("drift_w").GetDouble(), 1.5);
        // The records' active energy and the run's subtract the same idle power: queries plus idle gaps equal the run.
        var queries = e.GetProperty("per_query_active_j_sum").GetDouble();
        var gaps = e.GetProperty("unattributed_active_j").GetDouble();
        var run = e.GetProperty("active_j").GetDouble();
        var gross = e.GetProperty("gross_j").GetDouble();
        output.WriteLine($"per-query active sum {queries:F3} J + idle gaps {gaps:F3} J vs run active {run:F3} J (gross {gross:F3} J)");
        Assert.True(Math.Abs(queries + gaps - run) <= 1e-6 * gross, $"{queries} + {gaps} J from the queries and gaps, {run} J for the run");
    }

    private sealed class OnMeasuring(Action action) : Ipw.Core.Profiling.IProfileObserver
    {
        void Ipw.Core.Profiling.IProfileObserver.OnMeasuring() => action();
    }
}
