using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>Which of NVML's readings the backend takes where NVML offers several: power by architecture, memory by
/// API version, field values by their declared type.</summary>
public sealed class NvmlReadingTests : NvmlStandinTest
{
    // 300 W for 500 ms, then 100 W for 500 ms: instantaneous readings are 100 or 300; the 1-second average is 200.
    private static readonly string[] Wave = ["power_low_mw=100000", "power_high_mw=300000", "period_ms=1000", "energy_step_ms=20"];

    [Theory]
    [InlineData("volta", "gpu0_power_w", "instantaneous on Volta")]
    [InlineData("turing", "gpu0_power_w", "instantaneous on Turing")]
    [InlineData("ga100", "gpu0_power_w", "instantaneous on Ampere GA100")]
    [InlineData("ampere", "gpu0_power_avg1s_w", "1-second average on Ampere (compute capability 8.6)")]
    [InlineData("hopper", "gpu0_power_avg1s_w", "1-second average on Hopper")]
    [InlineData("unknown", "gpu0_power_avg1s_w", "1-second average on an architecture the driver does not name")]
    public void Without_field_186_power_usage_is_taken_for_what_the_architecture_makes_it(string architecture, string metric, string detail)
    {
        Script([.. Wave, $"architecture={architecture}", $"fail.power_instant={NvmlReturn.NotSupported}"]);
        var clock = Stopwatch.StartNew();
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        var power = probe.Metrics.Single(m => m.Kind == MetricKind.Power);
        Assert.Equal(metric, power.Name);
        Assert.Contains(detail, probe.Details["gpu0_power"]);
        Assert.Contains("field 186: Not Supported (NVML_ERROR_NOT_SUPPORTED)", probe.Details["gpu0_power"]);
        Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(0, 1100 - clock.ElapsedMilliseconds))); // a full second since init
        var values = new double[probe.Metrics.Count];
        source.Read(values);
        var watts = values[Index(probe, power.Name)];
        if (metric == "gpu0_power_w") Assert.Contains(watts, new[] { 100.0, 300.0 });
        else Assert.InRange(watts, 199, 201);
    }

    [Fact]
    public void Field_186_is_preferred_on_every_architecture()
    {
        Script([.. Wave, "architecture=hopper"]);
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        Assert.Equal("gpu0_power_w", probe.Metrics.Single(m => m.Kind == MetricKind.Power).Name);
        Assert.StartsWith("field 186 (NVML_FI_DEV_POWER_INSTANT)", probe.Details["gpu0_power"]);
        Assert.DoesNotContain(probe.Missing, m => m.Kind == MetricKind.Power);
    }

    [Theory]
    [InlineData("double")]
    [InlineData("uint")]
    [InlineData("ulong")]
    [InlineData("ullong")]
    [InlineData("sll")]
    [InlineData("sint")]
    public void A_field_value_is_read_as_the_type_it_declares(string type)
    {
        Script("power_low_mw=212500", "power_high_mw=212500", "energy_step_ms=20", $"field_value_type={type}");
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        var values = new double[probe.Metrics.Count];
        source.Read(values);
        Assert.Equal(212.5, values[Index(probe, "gpu0_power_w")], 6);
    }

    [Fact]
    public void Memory_comes_from_v2_without_the_reserved_memory()
    {
        Script("energy_step_ms=20", "memory_used=2147483648", "memory_reserved=536870912");
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        var values = new double[probe.Metrics.Count];
        source.Read(values);
        Assert.Equal(2147483648, values[Index(probe, "gpu0_memory_used_bytes")]);
        Assert.StartsWith("nvmlDeviceGetMemoryInfo_v2", probe.Details["gpu0_memory"]);
    }

    [Theory]
    [InlineData(NvmlReturn.FunctionNotFound, "NVML_ERROR_FUNCTION_NOT_FOUND")]
    [InlineData(NvmlReturn.ArgumentVersionMismatch, "NVML_ERROR_ARGUMENT_VERSION_MISMATCH")]
    public void Without_v2_memory_falls_back_to_v1_and_says_it_counts_reserved_memory(int code, string name)
    {
        Script("energy_step_ms=20", "memory_used=2147483648", "memory_reserved=536870912", $"fail.memory_v2={code}");
        using var source = new NvmlSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        var values = new double[probe.Metrics.Count];
        source.Read(values);
        Assert.Equal(2147483648 + 536870912, values[Index(probe, "gpu0_memory_used_bytes")]);
        Assert.Contains("(v1): used includes the driver's reserved memory", probe.Details["gpu0_memory"]);
        Assert.Contains(name, probe.Details["gpu0_memory"]);
    }
}
