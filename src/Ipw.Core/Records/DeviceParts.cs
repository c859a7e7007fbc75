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
        if (!HasShares(shareJ, devices.Count)) return null;
        var entries = new DeviceEnergy[devices.Count];
        for (var k = 0; k < entries.Length; k++) entries[k] = new DeviceEnergy(devices[k], At(shareJ, k), At(activeJ, k), At(powerW, k));
        return entries;
    }

    /// <summary><paramref name="entries"/> with each device's share and active energy replaced (the run's final
    /// energy), its name and average power kept; null, as <see cref="Of"/> gives, when there is no share per device.</summary>
    public static DeviceEnergy[]? Rewrite(IReadOnlyList<DeviceEnergy>? entries, IReadOnlyList<double>? shareJ, IReadOnlyList<double>? activeJ) =>
        entries is not null && HasShares(shareJ, entries.Count)
            ? entries.Select((e, k) => e with { EnergyJ = At(shareJ, k), ActiveEnergyJ = At(activeJ, k) }).ToArray()
            : null;

    private static bool HasShares(IReadOnlyList<double>? shareJ, int devices)
    {
        if (shareJ is null || shareJ.Count == 0) return false;
        if (shareJ.Count != devices) throw new InvalidOperationException($"{shareJ.Count} energy shares for {devices} devices");
        return true;
    }

    private static double? At(IReadOnlyList<double>? values, int k) => values is not null && k < values.Count && !double.IsNaN(values[k]) ? values[k] : null;
}
