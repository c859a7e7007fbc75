using System.CommandLine;
using Ipw.Core;
using Ipw.Core.Analysis;
using Ipw.Core.Plugins;

namespace Ipw.Cli;

/// <summary><c>ipw plot RUN...</c> and <c>ipw report RUN...</c>: figures, and the single-file HTML report.</summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "run folders, sweep folders or globs (./runs/profile_*)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output") { Description = "where the figures go (default: the run's plots/, or plots/ beside several runs)" };
        var format = new Option<string>("--format") { Description = "png or svg", DefaultValueFactory = _ => "png" };
        var only = new Option<string?>("--visualization") { Description = "only these visualizations, comma-separated (see 'ipw list visualizations')" };
        var html = new Option<bool>("--html") { Description = "also write the single-file HTML report (report.html beside the figures; its figures inline SVG, titled on hover)" };
        var command = new Command("plot", "Draw figures of runs (ScottPlot): regressions, distributions, power timelines; several runs are overlaid")
        {
            runs, output, format, only, html,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(format) is not ("png" or "svg")) throw new UserError($"--format must be png or svg, got '{parse.GetValue(format)}'");
            var folders = AnalyzeCommand.Runs(parse.GetValue(runs)!);
            var names = parse.GetValue(only)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var registries = PluginLoading.Load();
            var outputDir = parse.GetValue(output) is { } o ? Path.GetFullPath(o) : null;
            var plots = await Plotter.RunAsync(registries, folders, names, outputDir, parse.GetValue(format)!, cancellationToken);
            var failed = Print(plots);
            if (parse.GetValue(html)) await ReportBesideAsync(registries, plots, folders, names, cancellationToken);
            return failed ? 1 : 0;
        });
        return command;
    }

    public static Command CreateReport()
    {
        var runs = new Argument<string[]>("runs") { Description = "run folders, sweep folders or globs", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output") { Description = "the report file (default: report.html beside the figures)" };
        var command = new Command("report", "Write a single-file HTML report of runs: summaries, analyses, comparison and every figure inline (SVG, a title on hover over each point)") { runs, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folders = AnalyzeCommand.Runs(parse.GetValue(runs)!);
            var registries = PluginLoading.Load();
            var plots = await Plotter.RunAsync(registries, folders, null, null, "svg", cancellationToken);
            var failed = Print(plots);
            var file = parse.GetValue(output) is { } o ? Path.GetFullPath(o) : Path.Combine(plots.OutputDirectory, "report.html");
            await ReportAsync(registries, plots, file, cancellationToken);
            return failed ? 1 : 0;
        });
        return command;
    }

    /// <summary>The report beside the figures, its figures inline as SVG (a title on hover over each point): drawn again
    /// as SVG into a folder of its own, removed after, where the figures asked for were PNG.</summary>
    private static async Task ReportBesideAsync(PluginRegistries registries, PlotOutcome plots, IReadOnlyList<string> folders, IReadOnlyList<string>? names,
        CancellationToken cancellationToken)
    {
        var file = Path.Combine(plots.OutputDirectory, "report.html");
        if (plots.Visualizations.SelectMany(v => v.Result?.Files ?? []).All(f => f.EndsWith(".svg", StringComparison.Ordinal)))
        {
            await ReportAsync(registries, plots, file, cancellationToken);
            return;
        }
        var svg = Directory.CreateTempSubdirectory("ipw-report-").FullName;
        try
        {
            await ReportAsync(registries, await Plotter.RunAsync(registries, folders, names, svg, "svg", cancellationToken), file, cancellationToken);
        }
        finally
        {
            Directory.Delete(svg, recursive: true);
        }
    }

    /// <summary>Analyses the runs the figures were drawn from (already open: each is read once) and writes the report.</summary>
    private static async Task ReportAsync(PluginRegistries registries, PlotOutcome plots, string file, CancellationToken cancellationToken)
    {
        var analyses = await Analyzer.RunAsync(registries, plots.Runs, null, null, cancellationToken);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        Console.WriteLine($"report: {HtmlReport.Write(file, analyses, plots)}");
    }

    private static bool Print(PlotOutcome plots)
    {
        var failed = false;
        Console.WriteLine($"figures of {plots.Runs.Count} run{(plots.Runs.Count == 1 ? "" : "s")} → {plots.OutputDirectory}");
        foreach (var v in plots.Visualizations)
        {
            if (v.Result is null)
            {
                failed = true;
                Console.Error.WriteLine($"ipw: error: visualization {v.Name} failed: {v.Failure}");
                continue;
            }
            foreach (var f in v.Result.Files) Console.WriteLine($"  {v.Name}: {Path.GetFileName(f)}");
            foreach (var n in v.Result.Notes) Console.WriteLine($"  note: {n}");
        }
        return failed;
    }
}
