namespace Ipw.Core.Telemetry;

/// <summary>What a telemetry source does here, in words ("works: energy, power (nvml)" or "unavailable: why"), the same
/// for the live run and for a run read back from its summary.</summary>
public static class SourceVerdict
{
    /// <param name="kinds">The kinds of metric it reads, e.g. "energy", "power".</param>
    /// <param name="missing">The kinds it cannot read here.</param>
    public static string Describe(bool available, string? reason, IEnumerable<string> kinds, string? method, IEnumerable<string> missing)
    {
        if (!available) return $"unavailable: {reason}";
        var lacks = missing.Distinct().ToList();
        return $"works: {string.Join(", ", kinds.Distinct())} ({method})" + (lacks.Count > 0 ? $"; missing {string.Join(", ", lacks)}" : "");
    }
}
