namespace Ipw.Abstractions;

/// <summary>The GPUs whose telemetry counts (the ones the service uses), as the user gave them.</summary>
/// <param name="Text">The selection as given, e.g. "0,1" (a source says what it cannot understand, e.g. a UUID).</param>
/// <param name="Origin">Where it came from, for messages: "--gpus", "IPW_GPUS" or "CUDA_VISIBLE_DEVICES".</param>
public sealed record GpuSelection(string Text, string Origin);

/// <summary>What the host tells every telemetry source it creates: which devices count and each source's settings.
/// Sources read their configuration from here, never from the environment.</summary>
public sealed record TelemetrySourceOptions
{
    /// <summary>No selection and no settings: every device counts.</summary>
    public static TelemetrySourceOptions Default { get; } = new();

    /// <summary>The GPUs whose telemetry counts; null: every GPU the backend sees.</summary>
    public GpuSelection? Gpus { get; init; }

    /// <summary>Source settings as "source.key" = value, e.g. "prometheus.url", "prometheus.job".</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>The setting <paramref name="key"/> when given and not empty, else null.</summary>
    public string? Get(string key) => Settings.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
}
