using System.Globalization;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using MathNet.Numerics.Random;

namespace Ipw.Plugins.Analysis;

/// <summary>
/// <c>coverage</c>, across runs of the same items (matched by item id): the share of the graded items each run answers
/// right, and the share the best of them together answers (an item counts when any run answers it: the study's
/// "coverage"), overall and per subject, each with a bootstrap 95 % interval (items resampled with replacement, a
/// seeded MathNet generator); the items no run answers. An item a run lacks is counted against no one: the run's share
/// is over the items it has, and what it lacks is reported.
/// </summary>
internal sealed class CoverageAnalysis : IAnalysis
{
    /// <summary>Bootstrap resamples.</summary>
    internal const int Resamples = 2000;

    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var runs = context.Runs.Select(RunItems.Read).ToList();
        var universe = RunItems.Graded(runs);
        var warnings = runs.Select(r => r.Missing("coverage", universe)).OfType<string>().ToList();
        warnings.AddRange(runs.Where(r => r.Repeats > 0).Select(r => $"coverage: {r.Label} holds {r.Repeats} repeated items; each counts once, by its first answer"));
        var seed = context.Parameters.TryGetValue("seed", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 0;
        var rows = new List<IReadOnlyList<string>>();
        var perRun = new JsonArray();
        foreach (var run in runs)
        {
            var mine = universe.Where(id => run.Items.TryGetValue(id, out var o) && o.Correct is not null).ToList();
            var right = mine.Select(id => run.Items[id].Correct == true).ToArray();
            var entry = Share(right, seed);
            entry["label"] = run.Label;
            entry["run"] = run.Run.Directory;
            entry["missing"] = universe.Count - mine.Count;
            entry["by_subject"] = BySubject(mine, id => run.Items[id].Correct == true, id => run.Items[id].Subject, seed);
            perRun.Add(entry);
            rows.Add(Row(run.Label, entry));
        }
        bool Any(string id) => runs.Any(r => r.Items.TryGetValue(id, out var o) && o.Correct == true);
        string? SubjectOf(string id) => runs.Select(r => r.Items.TryGetValue(id, out var o) ? o.Subject : null).FirstOrDefault(x => x is not null);
        var best = Share(universe.Select(Any).ToArray(), seed);
        best["by_subject"] = BySubject(universe, Any, SubjectOf, seed);
        rows.Add(Row($"best of {runs.Count}", best));
        var unanswered = universe.Where(id => !Any(id)).ToList();

        var json = new JsonObject
        {
            ["analysis"] = "coverage",
            ["definitions"] = "coverage = items answered right / graded items; best_of_n counts an item when any run answers it right; "
                + $"95 % intervals: percentile bootstrap over items, {Resamples} resamples, seed {seed}",
            ["items"] = universe.Count,
            ["runs"] = perRun,
            ["best_of_n"] = best,
            ["unanswered"] = new JsonArray([.. unanswered.Select(id => JsonValue.Create(id))]),
            ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]),
        };
        var file = Output.Write(context, "coverage", json);
        var table = Columns.Of(["run", "items", "right", "coverage", "95 % CI", "missing"], rows,
            $"{unanswered.Count} of {universe.Count} items no run answers" + (unanswered.Count > 0 ? $" (e.g. {string.Join(", ", unanswered.Take(5))})" : ""));
        var headline = new Dictionary<string, double?> { ["coverage_best_of_n"] = Number(best["coverage"]) };
        return Task.FromResult(Columns.Result([file], headline, warnings, table));
    }

    private static double? Number(JsonNode? node) => node?.GetValue<double>();

    /// <summary>The share right, with its bootstrap interval.</summary>
    internal static JsonObject Share(bool[] right, int seed)
    {
        var n = right.Length;
        var k = right.Count(x => x);
        var entry = new JsonObject { ["items"] = n, ["right"] = k, ["coverage"] = n > 0 ? Output.Num((double)k / n) : null };
        if (n > 0)
        {
            var (low, high) = Bootstrap(right, seed);
            entry["coverage_ci95"] = new JsonArray(Output.Num(low), Output.Num(high));
        }
        return entry;
    }

    /// <summary>The percentile bootstrap 95 % interval of the share right.</summary>
    internal static (double Low, double High) Bootstrap(bool[] right, int seed)
    {
        var random = new MersenneTwister(seed);
        var shares = new double[Resamples];
        for (var b = 0; b < Resamples; b++)
        {
            var k = 0;
            for (var i = 0; i < right.Length; i++)
                if (right[random.Next(right.Length)]) k++;
            shares[b] = (double)k / right.Length;
        }
        Array.Sort(shares);
        return (Statistics.Percentile(shares, 2.5), Statistics.Percentile(shares, 97.5));
    }

    private static JsonObject BySubject(IEnumerable<string> items, Func<string, bool> right, Func<string, string?> subject, int seed)
    {
        var groups = new JsonObject();
        foreach (var g in items.GroupBy(id => subject(id) ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal))
            groups[g.Key] = Share(g.Select(right).ToArray(), seed);
        return groups;
    }

    private static IReadOnlyList<string> Row(string name, JsonObject e)
    {
        var ci = e["coverage_ci95"] as JsonArray;
        return
        [
            name, e["items"]!.ToString(), e["right"]!.ToString(),
            Number(e["coverage"]) is { } c ? $"{c * 100:0.0} %" : "n/a",
            ci is null ? "n/a" : $"[{Number(ci[0]) * 100:0.0}, {Number(ci[1]) * 100:0.0}] %",
            e["missing"]?.ToString() ?? "",
        ];
    }
}
