using System.Globalization;

namespace Ipw.Core.Load;

/// <summary>A load in words, the same for the live run and for a run read back from its summary.</summary>
public static class LoadText
{
    /// <param name="mode">"sequential", "closed" or "open".</param>
    public static string Describe(string? mode, int? concurrency, double? rate, string? arrival) => mode switch
    {
        "open" => $"open loop at {rate?.ToString(CultureInfo.InvariantCulture)} requests/s ({arrival ?? "poisson"} arrivals)",
        "closed" => $"closed loop, {concurrency} in flight",
        _ => "sequential",
    };
}
