using Ipw.Abstractions;

namespace Ipw.Core.Records;

/// <summary>A record's <c>energy_by_device</c>: the device-by-device values, counter by counter in the order of the
/// session's energy metrics, named.</summary>
internal static class DeviceParts
{
    /// <summary>The entries, or null when there is no share per device.</summary>
    /// <param name="devices">The devices' names (<see cref="Measurement.TelemetryMap.EnergyDevices"/>).</param>
    /// <param name="shareJ">The query's share of each device's energy.</param>
    /// <param name="activeJ">Each share above its device's idle power; null without a baseline.</param>
    /// <param name="powerW">Each device's average power over the window; null where there is none.</param>
    public static DeviceEnergy[]? Of(IReadOnlyList<string> devices, IReadOnlyList<double>? shareJ, IReadOnlyList<double>? activeJ, IReadOnlyList<double>? powerW)
    {
        if (shareJ is null || shareJ.Count == 0) return null;
        if (shareJ.Count != devices.Count)
            throw new InvalidOperationException($"{shareJ.Count} energy shares for {devices.Count} devices");
        static double? At(IReadOnlyList<double>? values, int k) => values is not null && k < values.Count && !double.IsNaN(values[k]) ? values[k] : null;
        return Enumerable.Range(0, devices.Count)
            .Select(k => new DeviceEnergy(devices[k], At(shareJ, k), At(activeJ, k), At(powerW, k))).ToArray();
    }

    /// <summary><paramref name="entries"/> with each device's share and active energy replaced (the run's final
    /// energy), its name and average power kept.</summary>
    public static DeviceEnergy[]? Rewrite(IReadOnlyList<DeviceEnergy>? entries, IReadOnlyList<double>? shareJ, IReadOnlyList<double>? activeJ) =>
        entries is null ? null : Of(entries.Select(e => e.Device).ToArray(), shareJ, activeJ, entries.Select(e => e.AvgPowerW ?? double.NaN).ToArray());
}
