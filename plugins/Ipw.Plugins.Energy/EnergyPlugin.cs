using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>Registers the energy backends.</summary>
public sealed class EnergyPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddTelemetrySource(new TelemetrySourceDescriptor("amdsmi",
            "AMD GPU energy counter and VRAM through AMD SMI (ROCm), validated at start-up",
            options => new AmdSmiSource(options))
        {
            CheckAvailability = AmdSmiSource.QuickCheck,
        });
        registry.AddTelemetrySource(new TelemetrySourceDescriptor("powermetrics",
            "Apple Silicon CPU, GPU and ANE power from powermetrics (model estimates, integrated to energy; needs sudo)",
            _ => new PowermetricsSource())
        {
            CheckAvailability = PowermetricsSource.QuickCheck,
        });
        registry.AddTelemetrySource(new TelemetrySourceDescriptor("nvml",
            "NVIDIA GPU energy counter, power, memory, temperature, clock and utilisation through NVML",
            options => new NvmlSource(options))
        {
            CheckAvailability = NvmlSource.QuickCheck,
        });
        registry.AddTelemetrySource(new TelemetrySourceDescriptor("prometheus",
            "a deployment's GPU and CPU energy, power, memory and temperature per node from Prometheus (DCGM exporter, node exporter, ipw energy serve); used when named: --energy prometheus --prometheus-url URL",
            options => new PrometheusSource(options))
        {
            CheckAvailability = () => PrometheusSource.Check(TelemetrySourceOptions.Default),
            CheckWithOptions = PrometheusSource.Check,
            OnlyWhenNamed = true,
        });
        registry.AddTelemetrySource(new TelemetrySourceDescriptor("rapl",
            "CPU package and DRAM energy counters from /sys/class/powercap (Intel and AMD RAPL)",
            _ => new RaplSource())
        {
            CheckAvailability = () =>
            {
                using var probe = new RaplSource();
                var p = probe.Probe();
                return p.Available ? Availability.Yes : Availability.No(p.Reason ?? "unavailable");
            },
        });
    }
}
