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
public sealed record AnalyzeOutcome(IReadOnlyList<RunAnalysis> Runs, JsonObject? Comparison, string? ComparisonFile)
{
    /// <summary>The analyses across runs (coverage, routing, frontier), each once over every run.</summary>
    public IReadOnlyList<AnalysisRun> AcrossRuns { get; init; } = [];

    /// <summary>Where the analyses across runs wrote; null when none ran.</summary>
    public string? AcrossRunsDirectory { get; init; }
}

/// <summary>
/// Runs the registered analyses over runs: each analysis writes into its run's <c>analysis/</c>, and several runs are
/// set side by side by the analyses' headline numbers (<c>comparison.json</c> next to the runs, or in
/// <paramref name="comparisonDir"/>). The analyses across runs (<see cref="AnalysisDescriptor.AcrossRuns"/>) run once over
/// every run (and the reference run a parameter names), writing into the same folder; unless named, they run only when
/// several runs are given. One analysis failing on one run is reported and the rest go on.
/// </summary>
public static class Analyzer
{
    public static async Task<AnalyzeOutcome> RunAsync(PluginRegistries registries, IReadOnlyList<string> runFolders,
        IReadOnlyList<string>? analyses, string? comparisonDir, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? parameters = null)
    {
        var reference = parameters?.GetValueOrDefault("reference");
        foreach (var folder in reference is null ? runFolders : [.. runFolders, reference]) RunView.Check(folder); // every run is checked before any analysis runs
        var (perRun, across) = Select(registries, analyses, runFolders.Count);
        var outcome = await RunAsync(perRun, runFolders.Select(f => (Func<RunView>)(() => RunView.Open(f))).ToList(), comparisonDir, cancellationToken)
            .ConfigureAwait(false);
        if (across.Count == 0) return outcome;
        var all = runFolders.ToList();
        if (reference is not null && !all.Any(f => SameFolder(f, reference))) all.Add(reference);
        var views = all.Select(RunView.Open).ToList();
        try
        {
            return await AcrossAsync(outcome, across, views, comparisonDir, parameters, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var v in views) v.Unload();
        }
    }

    /// <summary>Analyses runs that are already open (as <c>ipw report</c> has them from drawing the figures); each is
    /// unloaded once analysed.</summary>
    public static async Task<AnalyzeOutcome> RunAsync(PluginRegistries registries, IReadOnlyList<RunView> runs,
        IReadOnlyList<string>? analyses, string? comparisonDir, CancellationToken cancellationToken)
    {
        // The analyses across runs first: the per-run ones unload each run once done with it.
        var (perRun, across) = Select(registries, analyses, runs.Count);
        var acrossOutcome = across.Count == 0 ? null
            : await AcrossAsync(new AnalyzeOutcome([], null, null), across, runs, comparisonDir, null, cancellationToken).ConfigureAwait(false);
        var outcome = await RunAsync(perRun, runs.Select(v => (Func<RunView>)(() => v)).ToList(), comparisonDir, cancellationToken).ConfigureAwait(false);
        return acrossOutcome is null ? outcome : outcome with { AcrossRuns = acrossOutcome.AcrossRuns, AcrossRunsDirectory = acrossOutcome.AcrossRunsDirectory };
    }

    /// <summary>The analyses to run, per run and across runs: those named, or all (those across runs only for several runs).</summary>
    private static (List<RegisteredEntry<AnalysisDescriptor>> PerRun, List<RegisteredEntry<AnalysisDescriptor>> Across) Select(PluginRegistries registries,
        IReadOnlyList<string>? analyses, int runs)
    {
        var named = analyses is { Count: > 0 };
        var entries = named
            ? analyses!.Select(registries.Analyses.Resolve).ToList()
            : registries.Analyses.Entries.OrderBy(e => e.Name, StringComparer.Ordinal).Where(e => !e.Descriptor.AcrossRuns || runs > 1).ToList();
        if (entries.Count == 0) throw new UserError("no analyses are registered (see 'ipw list analyses')");
        return (entries.Where(e => !e.Descriptor.AcrossRuns).ToList(), entries.Where(e => e.Descriptor.AcrossRuns).ToList());
    }

    /// <summary>Runs the analyses across runs once over <paramref name="views"/> (loaded), writing beside the runs.</summary>
    private static async Task<AnalyzeOutcome> AcrossAsync(AnalyzeOutcome outcome, List<RegisteredEntry<AnalysisDescriptor>> across, IReadOnlyList<RunView> views,
        string? comparisonDir, IReadOnlyDictionary<string, string>? parameters, CancellationToken cancellationToken)
    {
        var dir = comparisonDir ?? (views.Count == 1 ? Path.Combine(views[0].Directory, RunStore.AnalysisFolderName)
            : CommonParent(views.Select(v => v.Directory).ToList()));
        var context = new AnalysisContext(views, new ArtifactFolder(dir)) { Parameters = parameters ?? new Dictionary<string, string>() };
        var results = await Task.WhenAll(across.Select(entry => Run(entry, context, cancellationToken))).ConfigureAwait(false);
        return outcome with { AcrossRuns = results, AcrossRunsDirectory = dir };
    }

    private static Task<AnalysisRun> Run(RegisteredEntry<AnalysisDescriptor> entry, AnalysisContext context, CancellationToken cancellationToken) =>
        Task.Run(async () =>
        {
            try
            {
                return new AnalysisRun(entry.Name, await entry.Descriptor.Create().RunAsync(context, cancellationToken).ConfigureAwait(false), null);
            }
            catch (Exception e) when (e is not OperationCanceledException and not UserError)
            {
                return new AnalysisRun(entry.Name, null, $"{e.GetType().Name}: {e.Message}");
            }
        }, cancellationToken);

    internal static bool SameFolder(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    private static async Task<AnalyzeOutcome> RunAsync(List<RegisteredEntry<AnalysisDescriptor>> entries, IReadOnlyList<Func<RunView>> runs,
        string? comparisonDir, CancellationToken cancellationToken)
    {
        var results = new List<RunAnalysis>();
        if (entries.Count == 0) return new AnalyzeOutcome(results, null, null); // only analyses across runs were asked for
        foreach (var open in runs)
        {
            // One run in memory at a time; its analyses run side by side, as they only read it.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var view = open();
            var opened = clock.Elapsed;
            var context = new AnalysisContext([view], new ArtifactFolder(Path.Combine(view.Directory, RunStore.AnalysisFolderName)));
            var tasks = entries.Select(entry => Run(entry, context, cancellationToken)).ToList();
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
