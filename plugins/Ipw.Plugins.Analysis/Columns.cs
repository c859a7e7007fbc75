using System.Globalization;
using System.Text;
using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis;

/// <summary>Reading columns the way every analysis must: missing values counted, zeros counted, never mixed in.</summary>
internal static class Columns
{
    /// <summary>The column, or null when the run does not have it (an older run).</summary>
    public static double[]? Get(IRunView run, string column) => run.Columns.Contains(column) ? run.Numbers(column) : null;

    /// <summary>Pairs (x, y) where both are present (and, for log fits, positive); counts what was left out.</summary>
    public static (double[] X, double[] Y, int Missing, int NonPositive) Pairs(double[] x, double[] y, bool log, Func<double, double>? mapX = null)
    {
        var xs = new List<double>(x.Length);
        var ys = new List<double>(x.Length);
        int missing = 0, nonPositive = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var a = x[i];
            var b = y[i];
            if (double.IsNaN(a) || double.IsNaN(b)) { missing++; continue; }
            if (log)
            {
                if (a <= 0 || b <= 0) { nonPositive++; continue; }
                (a, b) = (Math.Log(a), Math.Log(b));
            }
            xs.Add(mapX is null ? a : mapX(a));
            ys.Add(b);
        }
        return ([.. xs], [.. ys], missing, nonPositive);
    }

    /// <summary>Element-wise sum; NaN where either is missing.</summary>
    public static double[] Sum(double[] a, double[] b)
    {
        var s = new double[a.Length];
        for (var i = 0; i < a.Length; i++) s[i] = a[i] + b[i];
        return s;
    }

    /// <summary>The present values, sorted, and how many were missing or zero.</summary>
    public static (double[] Sorted, int Missing, int Zero) Present(double[] values, IReadOnlyList<bool>? mask = null)
    {
        var list = new List<double>(values.Length);
        int missing = 0, zero = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (mask is not null && !mask[i]) continue;
            var v = values[i];
            if (double.IsNaN(v)) { missing++; continue; }
            if (v == 0) zero++;
            list.Add(v);
        }
        var sorted = list.ToArray();
        Array.Sort(sorted);
        return (sorted, missing, zero);
    }

    /// <summary>The q-quantile of sorted values (linear interpolation between ranks); null when empty.</summary>
    public static double? Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return null;
        var pos = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    public static double? Mean(double[] sorted) => sorted.Length == 0 ? null : sorted.Average();

    public static string Format(double? value, string unit = "")
    {
        if (value is not { } v) return "n/a";
        var abs = Math.Abs(v);
        var text = abs == 0 ? "0" : abs >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture)
            : abs >= 1 ? v.ToString("0.###", CultureInfo.InvariantCulture)
            : abs >= 0.001 ? v.ToString("0.#####", CultureInfo.InvariantCulture)
            : v.ToString("0.###e0", CultureInfo.InvariantCulture);
        return unit.Length == 0 ? text : $"{text} {unit}";
    }

    /// <summary>A plain aligned text table (first column left-aligned, the others right-aligned). Written here because
    /// it must be a string that works in any terminal, log or test, and is a few lines.</summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Count).Select(c => all.Max(r => c < r.Count ? r[c].Length : 0)).ToArray();
        var sb = new StringBuilder();
        foreach (var (row, k) in all.Select((r, k) => (r, k)))
        {
            for (var c = 0; c < header.Count; c++)
            {
                var cell = c < row.Count ? row[c] : "";
                if (c > 0) sb.Append("  ");
                sb.Append(c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]));
            }
            sb.Append('\n');
            if (k == 0) sb.Append(new string('-', widths.Sum() + 2 * (widths.Length - 1))).Append('\n');
        }
        return sb.ToString();
    }
}
