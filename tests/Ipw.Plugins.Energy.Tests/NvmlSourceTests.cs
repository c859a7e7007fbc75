using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Telemetry;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>What the nvml backend reads, and how, against the NVML stand-in.</summary>
public sealed class NvmlSourceTests : NvmlStandinTest
{
    [Fact]
    public void Every_metric_of_every_device_is_read_through_pinvoke()
    {
        Script("devices=2", "name=NVIDIA H100 80GB HBM3", "memory_used=2147483648", "temperature_c=51", "util_gpu=40");
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        Assert.True(probe.Available, probe.Reason);
        Assert.Equal("NVIDIA H100 80GB HBM3", probe.Details["gpu0_name"]);
        Assert.Equal(["gpu0_energy_j", "gpu0_power_w", "gpu0_memory_used_bytes", "gpu0_temperature_c", "gpu0_sm_clock_mhz", "gpu0_utilization"],
            probe.Metrics.Where(m => m.Device == "gpu0").Select(m => m.Name));
        Assert.Equal(12, probe.Metrics.Count);
        var values = new double[12];
        source.Read(values);
        Assert.Equal(2147483648, values[2]);
        Assert.Equal(51, values[3]);
        Assert.Equal(0.40, values[5], 6);
        Assert.Contains(values[1], new[] { 100.0, 300.0 }); // the square wave's low or high level, in watts
        // The counter's 100 ms steps were learned at start-up.
        Assert.InRange(double.Parse(probe.Details["gpu0_energy_update_ms"], System.Globalization.CultureInfo.InvariantCulture), 95, 130);
        // ... and handed to the host typed: the counter's period and the devices' model names.
        Assert.InRange(probe.Metrics.Single(m => m.Name == "gpu0_energy_j").UpdatePeriod!.Value.TotalMilliseconds, 95, 130);
        Assert.Equal([new DeviceInfo("gpu0", "gpu", "NVIDIA H100 80GB HBM3"), new DeviceInfo("gpu1", "gpu", "NVIDIA H100 80GB HBM3")], probe.Devices);
    }

    [Fact]
    public void A_square_wave_gives_energy_within_the_counters_step_error()
    {
        // 300 W for 500 ms, then 100 W for 500 ms: 200 J per second on average; the counter steps every 100 ms.
        Script("devices=1", "power_low_mw=100000", "power_high_mw=300000", "period_ms=1000", "energy_step_ms=100");
        using var session = new TelemetrySession([("nvml", new NvmlSource(TelemetrySourceOptions.Default))], TimeSpan.FromMilliseconds(20));
        var energy = session.Metrics.Single(m => m.Info.Kind == MetricKind.Energy).Index;
        var start = session.OpenWindow();
        Thread.Sleep(2000);
        var w = session.CloseWindow(start);
        var expected = 200 * w.Duration.TotalSeconds;
        // Each edge can miss up to one step of energy: at most 0.1 s x 300 W = 30 J per edge.
        Assert.InRange(w.Delta[energy], expected - 60, expected + 60);
    }

    [Fact]
    public void Not_supported_shows_up_as_missing_with_a_reason()
    {
        Script("devices=1", "not_supported=energy,fields,temperature");
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        Assert.True(probe.Available);
        Assert.DoesNotContain(probe.Metrics, m => m.Kind is MetricKind.Energy or MetricKind.Temperature);
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Energy && m.Reason.Contains("not supported"));
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Temperature && m.Reason.Contains("not supported"));
        // Without the instant field, power is the 1-second average, and says so.
        Assert.Contains(probe.Metrics, m => m.Name == "gpu0_power_avg1s_w");
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Power && m.Reason.Contains("1-second average"));
    }

    [Fact]
    public void A_counter_reset_does_not_lose_or_invent_energy()
    {
        Script("devices=1", "power_low_mw=200000", "power_high_mw=200000", "energy_step_ms=10", "reset_at_ms=500");
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var values = new double[source.Probe().Metrics.Count]; // the probe includes learning the 10 ms update period
        var clock = Stopwatch.StartNew();
        source.Read(values);
        var before = values[0];
        // Read every 20 ms, as the sampler does, across the reset 500 ms after init.
        while (clock.ElapsedMilliseconds < 600)
        {
            Thread.Sleep(20);
            source.Read(values);
        }
        var gained = values[0] - before;
        // 200 W for about 0.6 s: the restart to zero is carried over, not counted as negative energy; what is
        // lost is at most the energy between the last read before the reset and the reset (20 ms, 4 J).
        Assert.InRange(gained, 200 * clock.Elapsed.TotalSeconds - 15, 200 * clock.Elapsed.TotalSeconds + 5);
    }

    [Fact]
    public void Only_the_selected_gpus_are_counted()
    {
        Script("devices=4");
        using (var source = new NvmlSource(Gpus("1,3", "CUDA_VISIBLE_DEVICES")))
        {
            var probe = source.Probe();
            Assert.Equal(["gpu1", "gpu3"], probe.Metrics.Select(m => m.Device).Distinct());
            Assert.Contains("CUDA_VISIBLE_DEVICES", probe.Details["selection"]);
        }
        using var bad = new NvmlSource(Gpus("7", "IPW_GPUS"));
        var p = bad.Probe();
        Assert.False(p.Available);
        Assert.Contains("GPU 7 does not exist (NVML sees 4)", p.Reason);
    }

    private static TelemetrySourceOptions Gpus(string text, string origin) => new() { Gpus = new GpuSelection(text, origin) };
}
