using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis;

/// <summary>Reading columns the way every analysis must: missing values counted, zeros counted, never mixed in.</summary>
internal static class Columns
{
    /// <summary>The column, or null when the run does not have it (an older run).</summary>
    public static double[]? Get(IRunView run, string column) => run.Columns.Contains(column) ? run.Numbers(column) : null;

    /// <summary>Pairs (x, y) where both are present (and, for log fits, positive); counts what was left out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double[] X, double[] Y, int Missing, int NonPositive) Pairs(double[] x, double[] y, bool log)
    {
        var xs = new double[x.Length];
        var ys = new double[x.Length];
        int n = 0, missing = 0, nonPositive = 0;
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
            xs[n] = a;
            ys[n++] = b;
        }
        Array.Resize(ref xs, n);
        Array.Resize(ref ys, n);
        return (xs, ys, missing, nonPositive);
    }

    private static readonly ConditionalWeakTable<IRunView, ConcurrentDictionary<string, Lazy<(double[] Sorted, int Missing, int Zero)>>> SortedCache = [];

    /// <summary>The present values of a column, sorted, with the counts of missing and zero values: computed once per
    /// run and shared by the analyses, which may run at the same time (sorting a million values is most of their cost).</summary>
    public static (double[] Sorted, int Missing, int Zero) Sorted(IRunView run, string column) =>
        SortedCache.GetOrCreateValue(run).GetOrAdd(column, c => new(() => Present(run.Numbers(c)))).Value;

    /// <summary>The present values of a column overall and per group (<paramref name="groupOf"/>: each row's group, or
    /// −1), each sorted. The overall sort is the shared one (<see cref="Sorted"/>): when no analysis has asked for it
    /// yet, one sort of the values keyed with their groups gives both, and an analysis asking for the column meanwhile
    /// waits for it rather than sorting it again; when it exists, each group's values are sorted on their own.</summary>
    public static ((double[] Sorted, int Missing, int Zero) All, (double[] Sorted, int Missing, int Zero)[] Groups) SortedByGroup(
        IRunView run, string column, int[] groupOf, int groups)
    {
        (double[] Sorted, int Missing, int Zero)[]? keyed = null;
        var all = SortedCache.GetOrCreateValue(run).GetOrAdd(column, c => new(() =>
        {
            var (whole, split) = KeyedSort(run.Numbers(c), groupOf, groups);
            keyed = split;
            return whole;
        })).Value;
        return (all, keyed ?? EachGroup(run.Numbers(column), groupOf, groups));
    }

    /// <summary>One sort of the present values keyed with their groups, then split by group in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ((double[] Sorted, int Missing, int Zero) All, (double[] Sorted, int Missing, int Zero)[] Groups) KeyedSort(
        double[] values, int[] groupOf, int groups)
    {
        var keys = new double[values.Length];
        var owners = new int[values.Length];
        var missing = new int[groups];
        var zero = new int[groups];
        int n = 0, allMissing = 0, allZero = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var g = groupOf[i];
            var v = values[i];
            if (double.IsNaN(v))
            {
                allMissing++;
                if (g >= 0) missing[g]++;
                continue;
            }
            if (v == 0)
            {
                allZero++;
                if (g >= 0) zero[g]++;
            }
            keys[n] = v;
            owners[n++] = g;
        }
        Array.Resize(ref keys, n);
        Array.Resize(ref owners, n);
        Array.Sort(keys, owners);
        var counts = new int[groups];
        foreach (var g in owners) if (g >= 0) counts[g]++;
        var arrays = counts.Select(c => new double[c]).ToArray();
        var fill = new int[groups];
        for (var k = 0; k < n; k++)
        {
            var g = owners[k];
            if (g >= 0) arrays[g][fill[g]++] = keys[k];
        }
        return ((keys, allMissing, allZero), [.. arrays.Select((a, g) => (a, missing[g], zero[g]))]);
    }

    /// <summary>Each group's present values, sorted on their own.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double[] Sorted, int Missing, int Zero)[] EachGroup(double[] values, int[] groupOf, int groups)
    {
        var counts = new int[groups];
        var missing = new int[groups];
        var zero = new int[groups];
        for (var i = 0; i < values.Length; i++)
        {
            if (groupOf[i] is not (>= 0 and var g)) continue;
            if (double.IsNaN(values[i])) missing[g]++;
            else counts[g]++;
        }
        var arrays = counts.Select(c => new double[c]).ToArray();
        var fill = new int[groups];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (groupOf[i] is not (>= 0 and var g) || double.IsNaN(v)) continue;
            if (v == 0) zero[g]++;
            arrays[g][fill[g]++] = v;
        }
        foreach (var a in arrays) Array.Sort(a);
        return [.. arrays.Select((a, g) => (a, missing[g], zero[g]))];
    }

    /// <summary>Element-wise sum; NaN where either is missing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] Sum(double[] a, double[] b)
    {
        var s = new double[a.Length];
        for (var i = 0; i < a.Length; i++) s[i] = a[i] + b[i];
        return s;
    }

    /// <summary>The present values, sorted, and how many were missing or zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double[] Sorted, int Missing, int Zero) Present(double[] values)
    {
        var sorted = new double[values.Length];
        int n = 0, missing = 0, zero = 0;
        foreach (var v in values)
        {
            if (double.IsNaN(v)) { missing++; continue; }
            if (v == 0) zero++;
            sorted[n++] = v;
        }
        Array.Resize(ref sorted, n);
        Array.Sort(sorted);
        return (sorted, missing, zero);
    }

    /// <summary>The <paramref name="percent"/>-th percentile of sorted values by the one definition
    /// (<see cref="Statistics.Percentile(ReadOnlySpan{double}, double)"/>, as summary.json's); null when empty.</summary>
    public static double? Percentile(double[] sorted, double percent) => sorted.Length == 0 ? null : Statistics.Percentile(sorted, percent);

    public static double? Mean(double[] values) => values.Length == 0 ? null : values.Average();

    public static string Format(double? value, string unit = "")
    {
        // NaN is "not measured" inside ipw (RunPoint's means, a run view's missing cells): n/a, like null.
        if (value is not { } v || !double.IsFinite(v)) return "n/a";
        // Durations in tables are milliseconds with two decimals, so a column reads down without exponents or mixed units.
        if (unit == "s") return (v * 1000).ToString("#,0.00", CultureInfo.InvariantCulture) + " ms";
        var abs = Math.Abs(v);
        var text = abs == 0 ? "0" : abs >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture)
            : abs >= 1 ? v.ToString("0.###", CultureInfo.InvariantCulture)
            : abs >= 0.001 ? v.ToString("0.#####", CultureInfo.InvariantCulture)
            : v.ToString("0.###e0", CultureInfo.InvariantCulture);
        return unit.Length == 0 ? text : $"{text} {unit}";
    }

    /// <summary>A table of a result: its header and rows, and a line said under it.</summary>
    public static ResultTable Of(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? note = null) =>
        new(header, [.. rows]) { Note = note };

    /// <summary>An analysis's result with its tables, kept whole for the HTML report and written as aligned text for the terminal.</summary>
    public static AnalysisResult Result(IReadOnlyList<string> files, IReadOnlyDictionary<string, double?> headline, IReadOnlyList<string> warnings,
        params ResultTable[] tables) =>
        new(files, string.Join("\n", tables.Select(t => Table(t.Header, t.Rows) + (t.Note is null ? "" : t.Note + "\n"))), headline, warnings) { Tables = tables };

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
