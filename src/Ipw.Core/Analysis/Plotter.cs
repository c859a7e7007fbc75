using Ipw.Abstractions;
using Ipw.Core.Plugins;
using Ipw.Core.Runs;

namespace Ipw.Core.Analysis;

/// <summary>One visualization's figures, or why it failed.</summary>
public sealed record PlotRun(string Name, VisualizationResult? Result, string? Failure);

/// <summary>What <c>ipw plot</c> drew, and where.</summary>
public sealed record PlotOutcome(IReadOnlyList<RunView> Runs, string OutputDirectory, IReadOnlyList<PlotRun> Visualizations);

/// <summary>
/// Draws the registered visualizations over runs: one run's figures go to its <c>plots/</c>; several runs are overlaid
/// in one set of figures (in <paramref name="outputDir"/>, or <c>plots/</c> in their common parent folder).
/// </summary>
public static class Plotter
{
    public static async Task<PlotOutcome> RunAsync(PluginRegistries registries, IReadOnlyList<string> runFolders, IReadOnlyList<string>? names,
        string? outputDir, string format, CancellationToken cancellationToken)
    {
        if (format is not ("png" or "svg")) throw new UserError($"--format must be png or svg, got '{format}'");
        var entries = names is null || names.Count == 0
            ? registries.Visualizations.Entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList()
            : names.Select(registries.Visualizations.Resolve).ToList();
        if (entries.Count == 0) throw new UserError("no visualizations are registered (see 'ipw list visualizations')");
        foreach (var folder in runFolders) RunView.Check(folder);
        var views = runFolders.Select(RunView.Open).ToList();
        var output = outputDir ?? (views.Count == 1
            ? Path.Combine(views[0].Directory, RunStore.PlotsFolderName)
            : Path.Combine(Analyzer.CommonParent(views.Select(v => v.Directory).ToList()), RunStore.PlotsFolderName));
        var context = new AnalysisContext(views, new ArtifactFolder(output), format);
        var results = new List<PlotRun>();
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                results.Add(new PlotRun(entry.Name, await entry.Descriptor.Create().RenderAsync(context, cancellationToken).ConfigureAwait(false), null));
            }
            catch (Exception e) when (e is not OperationCanceledException and not UserError)
            {
                results.Add(new PlotRun(entry.Name, null, $"{e.GetType().Name}: {e.Message}"));
            }
        }
        return new PlotOutcome(views, output, results);
    }
}
