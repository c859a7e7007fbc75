using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;
using Ipw.Plugins.Energy;
using Xunit.Abstractions;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>Learning how often the energy counter publishes: fast for a fast counter, robust to jitter, and never
/// silently unknown for a slow or idle one.</summary>
public sealed class NvmlPeriodTests(ITestOutputHelper output) : NvmlStandinTest
{
    private (TelemetryProbe Probe, MetricInfo Energy, double Seconds) Learn(params string[] script)
    {
        Script(["power_low_mw=150000", "power_high_mw=250000", .. script]);
        var clock = Stopwatch.StartNew();
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.True(probe.Available, probe.Reason);
        output.WriteLine($"{string.Join(" ", script)}: probe {seconds:0.000} s; {probe.Details["gpu0_energy_update"]}");
        return (probe, probe.Metrics.First(m => m.Kind == MetricKind.Energy), seconds);
    }

    private static double Ms(TelemetryProbe probe) => double.Parse(probe.Details["gpu0_energy_update_ms"], CultureInfo.InvariantCulture);

    [Fact]
    public void A_20_ms_counter_is_learned_in_a_fraction_of_a_second()
    {
        var (probe, energy, seconds) = Learn("energy_step_ms=20");
        Assert.InRange(energy.UpdatePeriod!.Value.TotalMilliseconds, 17, 26);
        Assert.False(energy.UpdatePeriodUnknown);
        Assert.InRange(Ms(probe), 17, 26);
        Assert.True(seconds < 0.3, $"the probe took {seconds:0.00} s"); // about 0.07 s on an idle machine
    }

    [Fact]
    public void A_jittered_100_ms_counter_is_learned_from_the_median_interval_not_the_shortest()
    {
        // This seed's first intervals are about 82, 101 and 103 ms: the shortest would say 82 ms.
        var (probe, energy, _) = Learn("energy_step_ms=100", "energy_jitter_ms=10", "energy_jitter_seed=38");
        Assert.InRange(energy.UpdatePeriod!.Value.TotalMilliseconds, 92, 110);
        Assert.StartsWith(probe.Details["gpu0_energy_update_ms"], probe.Details["gpu0_energy_update"]);
        Assert.Contains("median of 3 intervals", probe.Details["gpu0_energy_update"]);
    }

    [Fact]
    public void A_1_s_counter_is_learned_within_the_bound_or_flagged_unknown()
    {
        var (probe, energy, seconds) = Learn("energy_step_ms=1000", "energy_jitter_ms=10");
        Assert.True(seconds < 2.3, $"the probe took {seconds:0.00} s"); // about 2 s: a third change would come after the bound
        if (energy.UpdatePeriod is { } period)
        {
            Assert.InRange(period.TotalMilliseconds, 970, 1040);
            Assert.False(energy.UpdatePeriodUnknown);
        }
        else
        {
            Assert.True(energy.UpdatePeriodUnknown);
            Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Energy && m.Reason.Contains("update period is unknown"));
        }
    }

    [Fact]
    public void A_counter_that_never_changes_is_flagged_unknown_loudly()
    {
        // An idle board that draws nothing: the counter sits still for the whole bound.
        var (probe, energy, seconds) = Learn("power_low_mw=0", "power_high_mw=0", "energy_step_ms=100");
        Assert.Null(energy.UpdatePeriod);
        Assert.True(energy.UpdatePeriodUnknown);
        Assert.Equal("unknown", probe.Details["gpu0_energy_update_ms"]);
        Assert.Contains("changed not once", probe.Details["gpu0_energy_update"]);
        var missing = Assert.Single(probe.Missing, m => m.Kind == MetricKind.Energy);
        Assert.Contains("update period is unknown", missing.Reason);
        Assert.Contains("taken as 1 s", missing.Reason);
        Assert.InRange(seconds, CounterPeriod.Bound.TotalSeconds, CounterPeriod.Bound.TotalSeconds + 0.5);
    }

    [Fact]
    public void Every_gpus_counter_is_learned_at_once()
    {
        var (probe, _, seconds) = Learn("devices=4", "energy_step_ms=200");
        Assert.All(probe.Metrics.Where(m => m.Kind == MetricKind.Energy), m => Assert.InRange(m.UpdatePeriod!.Value.TotalMilliseconds, 190, 215));
        Assert.True(seconds < 1.2, $"four GPUs took {seconds:0.00} s: learned one after another?"); // at once: 0.6 s; one at a time: 2.4 s
    }
}
