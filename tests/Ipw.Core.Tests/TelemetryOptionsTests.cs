using Ipw.Abstractions;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Tests;

[Collection("environment")]
public sealed class TelemetryOptionsTests : IDisposable
{
    [Fact]
    public void Gpus_come_from_the_flag_then_ipw_gpus_then_the_services_cuda_visible_devices()
    {
        Environment.SetEnvironmentVariable("IPW_GPUS", null);
        Environment.SetEnvironmentVariable("CUDA_VISIBLE_DEVICES", null);
        Assert.Null(TelemetrySources.Options(null).Gpus);
        Environment.SetEnvironmentVariable("CUDA_VISIBLE_DEVICES", "1,3");
        Assert.Equal(new GpuSelection("1,3", "CUDA_VISIBLE_DEVICES"), TelemetrySources.Options(null).Gpus);
        Environment.SetEnvironmentVariable("IPW_GPUS", "2");
        Assert.Equal(new GpuSelection("2", "IPW_GPUS"), TelemetrySources.Options(null).Gpus);
        Assert.Equal(new GpuSelection("0", "--gpus"), TelemetrySources.Options("0").Gpus);
        var settings = new Dictionary<string, string> { ["prometheus.url"] = "http://p:9090", ["prometheus.job"] = "" };
        var options = TelemetrySources.Options(null, settings);
        Assert.Equal("http://p:9090", options.Get("prometheus.url"));
        Assert.Null(options.Get("prometheus.job")); // empty is not given
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("IPW_GPUS", null);
        Environment.SetEnvironmentVariable("CUDA_VISIBLE_DEVICES", null);
    }
}
