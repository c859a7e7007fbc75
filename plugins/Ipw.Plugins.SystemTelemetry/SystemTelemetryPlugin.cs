using Ipw.Abstractions;

namespace Ipw.Plugins.SystemTelemetry;

/// <summary>Registers the <c>system</c> telemetry source.</summary>
public sealed class SystemTelemetryPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry) =>
        registry.AddTelemetrySource(new TelemetrySourceDescriptor(
            "system",
            "process and system CPU time and memory from /proc, temperatures from thermal zones (no energy)",
            _ => new SystemSource())
        {
            CheckAvailability = () => OperatingSystem.IsLinux() ? Availability.Yes : Availability.No("reads /proc, which only Linux has"),
        });
}
