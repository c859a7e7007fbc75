using System.Globalization;

namespace Ipw.Core.Profiling;

/// <summary>
/// Service-level objectives for goodput (<c>--slo ttft=200ms,tpot=50ms,e2e=5s</c>, any subset), as vLLM's
/// <c>--goodput</c> and DistServe define it: a query is good when it succeeded and met every bound given. TPOT is 0 for
/// an answer of at most one token (vLLM's rule); a bound on a figure that was not measured is not met.
/// </summary>
public sealed record ServiceLevel(double? TtftS, double? TpotS, double? E2eS)
{
    private const string Expected = "bounds such as ttft=200ms,tpot=50ms,e2e=5s (any of ttft, tpot, e2e; units ms or s)";

    /// <summary>Parses <c>ttft=200ms,tpot=50ms,e2e=5s</c>.</summary>
    /// <exception cref="UserError">Anything else, in one line naming the option.</exception>
    public static ServiceLevel Parse(string text)
    {
        double? ttft = null, tpot = null, e2e = null;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq > 0 ? part[..eq].Trim().ToLowerInvariant() : "";
            var value = eq > 0 ? Seconds(part[(eq + 1)..].Trim().ToLowerInvariant()) : null;
            if (value is null) throw new UserError($"--slo expects {Expected}; got '{text}'");
            switch (key)
            {
                case "ttft" when ttft is null: ttft = value; break;
                case "tpot" when tpot is null: tpot = value; break;
                case "e2e" or "e2el" when e2e is null: e2e = value; break;
                case "ttft" or "tpot" or "e2e" or "e2el": throw new UserError($"--slo gives {key} twice in '{text}'");
                default: throw new UserError($"--slo: '{key}' is not ttft, tpot or e2e; it expects {Expected}");
            }
        }
        return new ServiceLevel(ttft, tpot, e2e);
    }

    /// <summary>"200ms" or "0.2s" in seconds; null when not a positive number with its unit.</summary>
    private static double? Seconds(string text)
    {
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : ("", 0.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v * scale : null;
    }

    /// <summary>Whether a successful query met every bound.</summary>
    /// <param name="tpotS">Null for an answer of at most one token (then 0, as vLLM counts it) or when not measured.</param>
    public bool Met(double? ttftS, double? tpotS, long? outputTokens, double e2eS)
    {
        if (TtftS is { } t && !(ttftS <= t)) return false;
        if (TpotS is { } p && !((tpotS ?? (outputTokens <= 1 ? 0 : double.NaN)) <= p)) return false;
        return E2eS is not { } e || e2eS <= e;
    }

    /// <summary>The bounds in ms under vLLM's names (ttft, tpot, e2el), as its goodput configuration holds them.</summary>
    public Dictionary<string, double> Milliseconds()
    {
        var bounds = new Dictionary<string, double>(StringComparer.Ordinal);
        if (TtftS is { } t) bounds["ttft"] = t * 1000;
        if (TpotS is { } p) bounds["tpot"] = p * 1000;
        if (E2eS is { } e) bounds["e2el"] = e * 1000;
        return bounds;
    }
}
