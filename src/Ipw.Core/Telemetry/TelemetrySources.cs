using Ipw.Abstractions;
using Ipw.Core.Plugins;

namespace Ipw.Core.Telemetry;

/// <summary>Creates the telemetry sources a session samples, from the registry. Unavailable backends are
/// still included, as sources that report their reason, so every run and self-test records every backend tried.</summary>
public static class TelemetrySources
{
    /// <param name="names">Backends the user named (each must exist and be available), or null for every registered one.</param>
    public static IReadOnlyList<(string Name, ITelemetrySource Source)> Create(PluginRegistries registries, IReadOnlyList<string>? names = null)
    {
        var entries = names is null
            ? registries.Telemetry.Entries.Where(e => !e.Descriptor.OnlyWhenNamed).OrderBy(e => e.Name, StringComparer.Ordinal).ToList()
            : names.Select(registries.Telemetry.Resolve).ToList();
        var sources = new List<(string, ITelemetrySource)>(entries.Count);
        foreach (var entry in entries)
        {
            var availability = entry.Availability();
            sources.Add((entry.Name, availability.IsAvailable ? entry.Descriptor.Create() : new Unavailable(availability.Reason ?? "unavailable")));
        }
        return sources;
    }

    /// <summary>A registered source that cannot work here: probed like the rest, so its reason is recorded.</summary>
    private sealed class Unavailable(string reason) : ITelemetrySource
    {
        public TelemetryProbe Probe() => new(false, reason, [], [], "none");
        public void Read(Span<double> values) { }
        public void Dispose() { }
    }
}
