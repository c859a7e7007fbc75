using Ipw.Abstractions;
using Ipw.Core.Telemetry;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>The amdsmi backend against the AMD SMI stand-in (native/amdsmi-standin: amdsmi.h's signatures,
/// scripted readings) through the real P/Invoke path; these machines have no AMD GPU.</summary>
[Collection("nvml")]
public sealed class AmdSmiSourceTests : IDisposable
{
    private static readonly string Library = NativeEnvironment.StandinLibrary("amdsmi-standin/libamd_smi.so");
    private readonly string _config = Path.GetTempFileName();

    public AmdSmiSourceTests()
    {
        Environment.SetEnvironmentVariable(AmdSmiSource.LibraryVariable, Library);
        NativeEnvironment.Set("IPW_AMDSMI_STANDIN_CONFIG", _config);
    }

    [Fact]
    public void The_energy_counter_is_validated_then_read_in_joules_with_vram()
    {
        File.WriteAllLines(_config, ["gpus=2", "power_w=250", "resolution_uj=15.3", "memory_used=8589934592"]);
        using var session = new TelemetrySession([("amdsmi", new AmdSmiSource(TelemetrySourceOptions.Default))], TimeSpan.FromMilliseconds(20));
        var report = session.Reports.Single();
        Assert.True(report.Available, report.Reason);
        var validation = report.Details["gpu0_energy_validation"]; // "ok: 249.9 W over 0.25 s at start-up, ..."
        Assert.StartsWith("ok: ", validation);
        Assert.InRange(double.Parse(validation[4..validation.IndexOf(' ', 4)], System.Globalization.CultureInfo.InvariantCulture), 245, 255);
        Assert.Equal(["gpu0_energy_j", "gpu0_memory_used_bytes", "gpu1_energy_j", "gpu1_memory_used_bytes"], session.Metrics.Select(m => m.Info.Name));
        var start = session.OpenWindow();
        Thread.Sleep(400);
        var w = session.CloseWindow(start);
        var expected = 250 * w.Duration.TotalSeconds;
        Assert.InRange(w.Delta[0], expected - 1, expected + 1); // 15.3 µJ steps: far below a joule
        Assert.Equal(8589934592, w.Max[1]);
    }

    [Fact]
    public void A_counter_that_does_not_advance_is_rejected_with_the_reason()
    {
        File.WriteAllLines(_config, ["gpus=1", "stuck=1"]);
        using var source = new AmdSmiSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        Assert.True(probe.Available); // VRAM still works
        Assert.Equal(["gpu0_memory_used_bytes"], probe.Metrics.Select(m => m.Name));
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Energy && m.Reason.Contains("implausible 0.0 W") && m.Reason.Contains("ROCm 6.3"));
    }

    [Fact]
    public void Gpu_selection_applies_and_a_missing_gpu_is_named()
    {
        File.WriteAllLines(_config, ["gpus=2"]);
        using (var source = new AmdSmiSource(new TelemetrySourceOptions { Gpus = new GpuSelection("1", "--gpus") }))
            Assert.Equal(["gpu1"], source.Probe().Metrics.Select(m => m.Device).Distinct());
        using var bad = new AmdSmiSource(new TelemetrySourceOptions { Gpus = new GpuSelection("5", "--gpus") });
        Assert.Contains("GPU 5 does not exist (AMD SMI sees 2)", bad.Probe().Reason);
    }

    [Fact]
    public void A_stepped_counters_update_period_is_learned_while_it_is_validated()
    {
        File.WriteAllLines(_config, ["gpus=1", "power_w=250", "energy_step_ms=50"]);
        using var source = new AmdSmiSource(TelemetrySourceOptions.Default);
        var probe = source.Probe();
        Assert.StartsWith("ok: ", probe.Details["gpu0_energy_validation"]);
        Assert.InRange(probe.Metrics.Single(m => m.Name == "gpu0_energy_j").UpdatePeriod!.Value.TotalMilliseconds, 45, 60);
        Assert.Contains("median of", probe.Details["gpu0_energy_update"]);
    }

    [Fact]
    public void Ending_one_session_or_checking_availability_leaves_another_reading()
    {
        // AMD SMI does not count initialisations (the stand-in neither): one amdsmi_shut_down would end every session.
        File.WriteAllLines(_config, ["gpus=1"]);
        using var first = new AmdSmiSource(TelemetrySourceOptions.Default);
        var values = new double[first.Probe().Metrics.Count];
        using (var second = new AmdSmiSource(TelemetrySourceOptions.Default)) Assert.True(second.Probe().Available);
        Assert.True(AmdSmiSource.QuickCheck().IsAvailable);
        first.Read(values);
        Assert.All(values, v => Assert.False(double.IsNaN(v)));
    }

    public void Dispose()
    {
        File.Delete(_config);
    }
}
