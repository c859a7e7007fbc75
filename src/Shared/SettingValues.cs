using System.Globalization;
using Ipw.Abstractions;

namespace Ipw.Shared;

/// <summary>The key=value settings the built-in datasets share (<c>subjects=</c>, <c>sample=</c>, <c>shuffle=</c>,
/// <c>seed=</c>, <c>repeat=</c>), read one way, each refusal naming the setting and the value.</summary>
internal static class SettingValues
{
    /// <summary>A comma-separated choice among <paramref name="known"/> (case-insensitive), at least one.</summary>
    public static HashSet<string> Subjects(string value, IReadOnlyCollection<string> known)
    {
        var chosen = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknown = chosen.Where(s => !known.Contains(s, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0 || chosen.Count == 0)
            throw new PluginConfigurationException($"subjects: unknown '{string.Join(", ", unknown)}' (known: {string.Join(", ", known)})");
        return chosen;
    }

    /// <summary>A whole number of at least 1.</summary>
    public static int Count(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
            : throw new PluginConfigurationException($"{key} must be a whole number of at least 1, got '{value}'");

    public static bool Flag(string key, string value) =>
        bool.TryParse(value, out var b) ? b : throw new PluginConfigurationException($"{key} must be true or false, got '{value}'");

    public static int Seed(string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s
            : throw new PluginConfigurationException($"seed must be a whole number, got '{value}'");
}
