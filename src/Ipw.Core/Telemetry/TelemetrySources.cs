using Ipw.Abstractions;
using Ipw.Core.Plugins;

namespace Ipw.Core.Telemetry;

/// <summary>Creates the telemetry sources a session samples, from the registry. Unavailable backends are
/// still included, as sources that report their reason, so every run and self-test records every backend tried.</summary>
public static class TelemetrySources
{
    /// <param name="names">Backends the user named (each must exist and be available), or null for every registered one.</param>
    /// <param name="options">What every source is told (GPU selection, settings); null: <see cref="TelemetrySourceOptions.Default"/>.</param>
    public static IReadOnlyList<(string Name, ITelemetrySource Source)> Create(PluginRegistries registries, IReadOnlyList<string>? names = null,
        TelemetrySourceOptions? options = null)
    {
        options ??= TelemetrySourceOptions.Default;
        var entries = names is null
            ? registries.Telemetry.Entries.Where(e => !e.Descriptor.OnlyWhenNamed).OrderBy(e => e.Name, StringComparer.Ordinal).ToList()
            : names.Select(registries.Telemetry.Find).ToList();
        var sources = new List<(string, ITelemetrySource)>(entries.Count);
        foreach (var entry in entries)
        {
            var availability = entry.Availability(entry.Descriptor.CheckWithOptions is { } check ? () => check(options) : null);
            if (names is not null && !availability.IsAvailable)
                throw new UserError($"{registries.Telemetry.Kind} '{entry.Name}' is not available here: {availability.Reason}");
            sources.Add((entry.Name, availability.IsAvailable ? entry.Descriptor.Create(options) : new Unavailable(availability.Reason ?? "unavailable")));
        }
        return sources;
    }

    /// <summary>The options every source is told, from the user's <c>--gpus</c> (else <c>IPW_GPUS</c>, else the service's
    /// <c>CUDA_VISIBLE_DEVICES</c>) and source settings: the one place the environment is read for telemetry.</summary>
    public static TelemetrySourceOptions Options(string? gpus, IReadOnlyDictionary<string, string>? settings = null)
    {
        GpuSelection? selection = gpus is { Length: > 0 } ? new GpuSelection(gpus, "--gpus")
            : Environment.GetEnvironmentVariable("IPW_GPUS") is { Length: > 0 } g ? new GpuSelection(g, "IPW_GPUS")
            : Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") is { Length: > 0 } c ? new GpuSelection(c, "CUDA_VISIBLE_DEVICES")
            : null;
        return new TelemetrySourceOptions { Gpus = selection, Settings = settings ?? new Dictionary<string, string>() };
    }

    /// <summary>A registered source that cannot work here: probed like the rest, so its reason is recorded.</summary>
    private sealed class Unavailable(string reason) : ITelemetrySource
    {
        public TelemetryProbe Probe() => new(false, reason, [], [], "none");
        public void Read(Span<double> values) { }
        public void Dispose() { }
    }
}
