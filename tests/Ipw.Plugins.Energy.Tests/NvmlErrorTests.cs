using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>What the nvml backend makes of NVML's return codes, each scripted in the stand-in: at nvmlInit, at the
/// probe, and mid-run.</summary>
public sealed class NvmlErrorTests : NvmlStandinTest
{
    [Theory]
    [InlineData(NvmlReturn.DriverNotLoaded, "NVML_ERROR_DRIVER_NOT_LOADED", "the NVIDIA kernel driver is not loaded")]
    [InlineData(NvmlReturn.LibraryNotFound, "NVML_ERROR_LIBRARY_NOT_FOUND", "stub libnvidia-ml")]
    [InlineData(NvmlReturn.NoPermission, "NVML_ERROR_NO_PERMISSION", "/dev/nvidia*")]
    public void A_failed_init_makes_the_backend_unavailable_with_the_code_and_what_to_do(int code, string name, string advice)
    {
        Script($"fail.init={code}");
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        Assert.False(probe.Available);
        Assert.StartsWith("nvmlInit failed: ", probe.Reason);
        Assert.Contains(name, probe.Reason);
        Assert.Contains(advice, probe.Reason);
        Assert.Equal(probe.Reason, NvmlSource.QuickCheck().Reason);
        // A failed init holds nothing: the next one starts afresh with the next script.
        Script("devices=1");
        Assert.True(NvmlSource.QuickCheck().IsAvailable);
    }

    [Theory]
    [InlineData(NvmlReturn.NoPermission, "unreadable: Insufficient Permissions (NVML_ERROR_NO_PERMISSION)")]
    [InlineData(NvmlReturn.NotSupported, "not supported on this GPU (NVML_ERROR_NOT_SUPPORTED)")]
    [InlineData(NvmlReturn.GpuIsLost, "unreadable: GPU is lost (NVML_ERROR_GPU_IS_LOST)")]
    [InlineData(NvmlReturn.FunctionNotFound, "unreadable: Function Not Found (NVML_ERROR_FUNCTION_NOT_FOUND)")]
    public void A_metric_refused_at_the_probe_is_missing_with_the_code(int code, string reason)
    {
        Script("energy_step_ms=20", $"fail.energy={code}", $"fail.temperature={code}", $"fail.clocks={code}");
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        Assert.True(probe.Available); // power, memory and utilisation still read
        Assert.DoesNotContain(probe.Metrics, m => m.Kind is MetricKind.Energy or MetricKind.Temperature or MetricKind.Clock);
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Energy && m.Reason.StartsWith($"gpu0: the energy counter is {reason}"));
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Temperature && m.Reason == $"gpu0: temperature is {reason}");
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Clock && m.Reason == $"gpu0: the SM clock is {reason}");
    }

    [Fact]
    public void A_gpu_lost_mid_run_reads_as_gaps_never_zero_and_is_noted()
    {
        // GPU 1 falls off the bus 1.5 s after nvmlInit; GPU 0 carries on.
        Script("devices=2", "energy_step_ms=20", $"fail.device.gpu1={NvmlReturn.GpuIsLost}@1500");
        var clock = Stopwatch.StartNew();
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        Assert.True(clock.ElapsedMilliseconds < 1300, $"the probe took {clock.ElapsedMilliseconds} ms, past the scripted loss");
        var values = new double[probe.Metrics.Count];
        var gpu1 = probe.Metrics.Select((m, i) => (m, i)).Where(x => x.m.Device == "gpu1").Select(x => x.i).ToList();
        var gpu0 = probe.Metrics.Select((m, i) => (m, i)).Where(x => x.m.Device == "gpu0").Select(x => x.i).ToList();
        source.Read(values);
        Assert.All(values, v => Assert.False(double.IsNaN(v)));
        Assert.Empty(source.Notes);

        Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(0, 1700 - clock.ElapsedMilliseconds)));
        source.Read(values);
        Assert.All(gpu1, i => Assert.True(double.IsNaN(values[i]), $"{probe.Metrics[i].Name} = {values[i]}, not a gap"));
        Assert.All(gpu0, i => Assert.False(double.IsNaN(values[i])));
        source.Read(values);
        var note = Assert.Single(source.Notes); // once per GPU and code, however many reads fail
        Assert.StartsWith("gpu1: GPU is lost (NVML_ERROR_GPU_IS_LOST)", note);
        Assert.Contains("gaps (NaN)", note);
    }

    [Fact]
    public void Disposing_one_source_leaves_another_reading()
    {
        // NVML counts initialisations; the backend balances its own, so a second session (or ipw list's check) does
        // not end the first one's.
        Script("devices=1", "energy_step_ms=20");
        using var first = new NvmlSource(TelemetrySourceOptions.Default);
        var values = new double[first.Probe().Metrics.Count];
        using (var second = new NvmlSource(TelemetrySourceOptions.Default)) Assert.True(second.Probe().Available);
        Assert.True(NvmlSource.QuickCheck().IsAvailable);
        first.Read(values);
        Assert.All(values, v => Assert.False(double.IsNaN(v)));
        Assert.Empty(first.Notes);
    }
}
