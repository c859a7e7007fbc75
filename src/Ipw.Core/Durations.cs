using System.Globalization;

namespace Ipw.Core;

/// <summary>Durations as users write them, on the command line and in scripts.</summary>
public static class Durations
{
    /// <summary>"10s", "500ms", "2m", "1h" or plain seconds.</summary>
    public static TimeSpan Parse(string option, string text, bool allowZero)
    {
        var t = text.Trim().ToLowerInvariant();
        var (number, scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : t.EndsWith('h') ? (t[..^1], 3600.0)
            : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || double.IsNaN(v) || double.IsInfinity(v)
            || v < 0 || (!allowZero && v == 0) || v * scale > 7 * 86400)
            throw new UserError($"{option} expects a duration such as 10s, 500ms or 5m{(allowZero ? " (0 turns it off)" : "")}, got '{text}'");
        return TimeSpan.FromSeconds(v * scale);
    }
}
