using System.Globalization;

namespace Ipw.Core.Load;

/// <summary>A load in words, the same for the live run and for a run read back from its summary.</summary>
public static class LoadText
{
    /// <param name="mode">"sequential", "closed" or "open".</param>
    /// <param name="burstiness">The gamma shape of open-loop gaps, when given.</param>
    public static string Describe(string? mode, int? concurrency, double? rate, string? arrival, double? burstiness = null) => mode switch
    {
        "open" when rate is double.PositiveInfinity => "open loop, every request at once (rate inf)",
        "open" when burstiness is { } k => $"open loop at {rate?.ToString(CultureInfo.InvariantCulture)} requests/s (gamma arrivals, burstiness {k.ToString(CultureInfo.InvariantCulture)})",
        "open" => $"open loop at {rate?.ToString(CultureInfo.InvariantCulture)} requests/s ({arrival ?? "poisson"} arrivals)",
        "closed" => $"closed loop, {concurrency} in flight",
        _ => "sequential, one query at a time",
    };
}
