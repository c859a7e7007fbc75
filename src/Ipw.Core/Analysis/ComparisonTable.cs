using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Ipw.Core.Analysis;

/// <summary>The side-by-side table of comparison.json: one row per metric, one column per run.</summary>
public static class ComparisonTable
{
    public static string Format(JsonObject comparison)
    {
        var labels = comparison["runs"]!.AsArray().Select(r => r!["label"]!.GetValue<string>()).ToList();
        var widths = labels.Select(l => Math.Max(l.Length, 10)).ToList();
        var metrics = comparison["metrics"]!.AsObject();
        var first = Math.Max(6, metrics.Select(m => m.Key.Length).DefaultIfEmpty(0).Max());
        var text = new StringBuilder();
        text.AppendLine("metric".PadRight(first) + string.Concat(labels.Select((l, k) => "  " + l.PadLeft(widths[k]))));
        foreach (var (key, values) in metrics)
        {
            var cells = values!.AsArray().Select((v, k) => "  " + (v is null ? "n/a" : Number(v.GetValue<double>())).PadLeft(widths[k]));
            text.AppendLine(key.PadRight(first) + string.Concat(cells));
        }
        return text.ToString();
    }

    /// <summary>A number as the tables show it: thousands grouped, small values in scientific notation.</summary>
    public static string Number(double v)
    {
        var a = Math.Abs(v);
        return a == 0 ? "0" : a >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture) : a >= 0.01 ? v.ToString("0.####", CultureInfo.InvariantCulture)
            : v.ToString("0.###e0", CultureInfo.InvariantCulture);
    }
}
