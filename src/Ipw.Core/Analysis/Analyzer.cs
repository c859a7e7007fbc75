using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Plugins;
using Ipw.Core.Runs;

namespace Ipw.Core.Analysis;

/// <summary>One analysis of one run: its result, or why it failed.</summary>
public sealed record AnalysisRun(string Name, AnalysisResult? Result, string? Failure);

/// <summary>A run and its analyses.</summary>
/// <param name="ReadTime">How long reading the run's records took.</param>
/// <param name="AnalysisTime">How long its analyses took, side by side.</param>
public sealed record RunAnalysis(RunView Run, IReadOnlyList<AnalysisRun> Analyses, TimeSpan ReadTime = default, TimeSpan AnalysisTime = default);

/// <summary>What <c>ipw analyze</c> found: each run's analyses and, for several runs, their comparison.</summary>
/// <param name="Runs">Each run, in the order given.</param>
/// <param name="Comparison">The side-by-side table (headline number × run) when there are several runs.</param>
/// <param name="ComparisonFile">Where the comparison was written.</param>
public sealed record AnalyzeOutcome(IReadOnlyList<RunAnalysis> Runs, JsonObject? Comparison, string? ComparisonFile);

/// <summary>
/// Runs the registered analyses over runs: each analysis writes into its run's <c>analysis/</c>, and several runs are
/// set side by side by the analyses' headline numbers (<c>comparison.json</c> next to the runs, or in
/// <paramref name="comparisonDir"/>). One analysis failing on one run is reported and the rest go on.
/// </summary>
public static class Analyzer
{
    public static Task<AnalyzeOutcome> RunAsync(PluginRegistries registries, IReadOnlyList<string> runFolders,
        IReadOnlyList<string>? analyses, string? comparisonDir, CancellationToken cancellationToken)
    {
        foreach (var folder in runFolders) RunView.Check(folder); // every run is checked before any analysis runs
        return RunAsync(registries, runFolders.Select(f => (Func<RunView>)(() => RunView.Open(f))).ToList(), analyses, comparisonDir, cancellationToken);
    }

    /// <summary>Analyses runs that are already open (as <c>ipw report</c> has them from drawing the figures); each is
    /// unloaded once analysed.</summary>
    public static Task<AnalyzeOutcome> RunAsync(PluginRegistries registries, IReadOnlyList<RunView> runs,
        IReadOnlyList<string>? analyses, string? comparisonDir, CancellationToken cancellationToken) =>
        RunAsync(registries, runs.Select(v => (Func<RunView>)(() => v)).ToList(), analyses, comparisonDir, cancellationToken);

    private static async Task<AnalyzeOutcome> RunAsync(PluginRegistries registries, IReadOnlyList<Func<RunView>> runs,
        IReadOnlyList<string>? analyses, string? comparisonDir, CancellationToken cancellationToken)
    {
        var entries = analyses is null || analyses.Count == 0
            ? registries.Analyses.Entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList()
            : analyses.Select(registries.Analyses.Resolve).ToList();
        if (entries.Count == 0) throw new UserError("no analyses are registered (see 'ipw list analyses')");
        var results = new List<RunAnalysis>();
        foreach (var open in runs)
        {
            // One run in memory at a time; its analyses run side by side, as they only read it.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var view = open();
            var opened = clock.Elapsed;
            var context = new AnalysisContext([view], new ArtifactFolder(Path.Combine(view.Directory, RunStore.AnalysisFolderName)));
            var tasks = entries.Select(entry => Task.Run(async () =>
            {
                try
                {
                    var result = await entry.Descriptor.Create().RunAsync(context, cancellationToken).ConfigureAwait(false);
                    return new AnalysisRun(entry.Name, result, null);
                }
                catch (Exception e) when (e is not OperationCanceledException and not UserError)
                {
                    return new AnalysisRun(entry.Name, null, $"{e.GetType().Name}: {e.Message}");
                }
            }, cancellationToken)).ToList();
            var list = await Task.WhenAll(tasks).ConfigureAwait(false);
            view.Unload();
            results.Add(new RunAnalysis(view, list, opened, clock.Elapsed - opened));
        }
        if (results.Count < 2) return new AnalyzeOutcome(results, null, null);

        var comparison = Compare(results);
        var dir = comparisonDir ?? CommonParent(results.Select(r => r.Run.Directory).ToList());
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "comparison.json");
        AtomicFile.WriteAllText(file, comparison.ToJsonString(RunStore.Json));
        return new AnalyzeOutcome(results, comparison, file);
    }

    /// <summary>Headline numbers side by side: {"runs": [...], "metrics": {name: [value per run]}}.</summary>
    private static JsonObject Compare(IReadOnlyList<RunAnalysis> results)
    {
        var metrics = new JsonObject();
        var names = results.SelectMany(r => r.Analyses).Where(a => a.Result is not null)
            .SelectMany(a => a.Result!.Headline.Keys.Select(k => (a.Name, Key: k))).Distinct().ToList();
        foreach (var (analysis, key) in names)
        {
            var values = new JsonArray();
            foreach (var r in results)
            {
                var v = r.Analyses.FirstOrDefault(a => a.Name == analysis)?.Result?.Headline.GetValueOrDefault(key);
                values.Add(v is { } d && double.IsFinite(d) ? JsonValue.Create(d) : null);
            }
            metrics[key] = values;
        }
        return new JsonObject
        {
            ["runs"] = new JsonArray([.. results.Select(r => new JsonObject { ["label"] = r.Run.Label, ["path"] = r.Run.Directory })]),
            ["metrics"] = metrics,
        };
    }

    internal static string CommonParent(IReadOnlyList<string> folders)
    {
        var parents = folders.Select(f => Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(f))!).ToList();
        var common = parents[0];
        while (!parents.All(p => p == common || p.StartsWith(common + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            common = Path.GetDirectoryName(common)!;
        return common;
    }
}
