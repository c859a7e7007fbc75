using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Ipw.Core;
using Ipw.Core.Analysis;
using Ipw.Core.Runs;

namespace Ipw.Cli;

/// <summary><c>ipw analyze RUN...</c>: the registered analyses over runs, side by side when there are several.</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "run folders, sweep folders or globs (./runs/profile_*)", Arity = ArgumentArity.OneOrMore };
        var analyses = new Option<string?>("--analysis") { Description = "only these analyses, comma-separated (see 'ipw list analyses')" };
        var json = new Option<bool>("--json") { Description = "print one JSON document instead of tables" };
        var output = new Option<string?>("--output") { Description = "where comparison.json and the analyses across runs go when several runs are analysed (default: their common parent folder)" };
        var reference = new Option<string?>("--reference") { Description = "routing: the run every query could go to (the cloud or largest model); analysed with the others" };
        var routerAccuracy = new Option<double>("--router-accuracy") { Description = "routing: how often the simulated router makes the oracle's choice, 0 to 1", DefaultValueFactory = _ => 0.8 };
        var seed = new Option<int>("--seed") { Description = "coverage's bootstrap and routing's router draws start from this seed", DefaultValueFactory = _ => 0 };
        var command = new Command("analyze", "Analyse runs: regressions, efficiency, latency and conversations per run, written to each run's analysis/; "
            + "several runs are compared side by side, with coverage, routing and the frontier across them")
        {
            runs, analyses, json, output, reference, routerAccuracy, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folders = AnalyzeCommand.Runs(parse.GetValue(runs)!);
            var names = parse.GetValue(analyses)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var accuracy = parse.GetValue(routerAccuracy);
            if (!(accuracy is >= 0 and <= 1)) throw new UserError($"--router-accuracy must be between 0 and 1, got {accuracy.ToString(CultureInfo.InvariantCulture)}");
            var parameters = new Dictionary<string, string>
            {
                ["router_accuracy"] = accuracy.ToString(CultureInfo.InvariantCulture),
                ["seed"] = parse.GetValue(seed).ToString(CultureInfo.InvariantCulture),
            };
            if (parse.GetValue(reference) is { } referenceRun) parameters["reference"] = Path.GetFullPath(referenceRun);
            else if (names?.Contains("routing") == true) throw new UserError("--analysis routing needs --reference RUN: the run of the cloud or largest model every query could go to");
            var outcome = await Analyzer.RunAsync(PluginLoading.Load(), folders, names, parse.GetValue(output) is { } o ? Path.GetFullPath(o) : null, cancellationToken,
                parameters);
            if (Environment.GetEnvironmentVariable("IPW_DEBUG") == "1")
                foreach (var r in outcome.Runs)
                    Console.Error.WriteLine($"ipw: {r.Run.Label}: read {r.Run.RecordCount} records in {r.ReadTime.TotalSeconds:F2} s, analyses took {r.AnalysisTime.TotalSeconds:F2} s");
            if (parse.GetValue(json)) PrintJson(outcome);
            else Print(outcome);
            return outcome.Runs.Any(r => r.Analyses.Any(a => a.Failure is not null)) || outcome.AcrossRuns.Any(a => a.Failure is not null) ? 1 : 0;
        });
        return command;
    }

    /// <summary>The run folders the arguments name; what a shell glob matched that is not a run is named on stderr.</summary>
    internal static IReadOnlyList<string> Runs(string[] arguments) =>
        RunInputs.Resolve(arguments, skipped => Console.Error.WriteLine($"ipw: skipping {skipped}"));

    private static void Print(AnalyzeOutcome outcome)
    {
        foreach (var run in outcome.Runs.Where(r => r.Analyses.Count > 0))
        {
            Console.WriteLine($"== {run.Run.Label} ({run.Run.RecordCount.ToString("N0", CultureInfo.InvariantCulture)} queries) — {run.Run.Directory}");
            foreach (var a in run.Analyses)
            {
                Console.WriteLine();
                if (a.Result is null)
                {
                    Console.WriteLine($"{a.Name}: FAILED: {a.Failure}");
                    Console.Error.WriteLine($"ipw: error: analysis {a.Name} failed on {run.Run.Directory}: {a.Failure}");
                    continue;
                }
                Console.WriteLine($"{a.Name} → {string.Join(", ", a.Result.Files.Select(f => Path.GetRelativePath(run.Run.Directory, f)))}");
                Console.Write(a.Result.Table);
                foreach (var w in a.Result.Warnings) Console.WriteLine($"  warning: {w}");
            }
            Console.WriteLine();
        }
        if (outcome.Comparison is { } comparison)
        {
            Console.WriteLine($"== comparison of {comparison["runs"]!.AsArray().Count} runs → {outcome.ComparisonFile}");
            Console.Write(ComparisonTable.Format(comparison));
        }
        foreach (var a in outcome.AcrossRuns)
        {
            Console.WriteLine();
            if (a.Result is null)
            {
                Console.WriteLine($"{a.Name}: FAILED: {a.Failure}");
                Console.Error.WriteLine($"ipw: error: analysis {a.Name} failed: {a.Failure}");
                continue;
            }
            Console.WriteLine($"== {a.Name} across runs → {string.Join(", ", a.Result.Files)}");
            Console.Write(a.Result.Table);
            foreach (var w in a.Result.Warnings) Console.WriteLine($"  warning: {w}");
        }
    }

    private static void PrintJson(AnalyzeOutcome outcome)
    {
        var runs = new JsonArray();
        foreach (var run in outcome.Runs)
        {
            var analyses = new JsonObject();
            foreach (var a in run.Analyses)
            {
                analyses[a.Name] = a.Result is null
                    ? new JsonObject { ["failure"] = a.Failure }
                    : a.Result.Files.Count == 1 && a.Result.Files[0].EndsWith(".json", StringComparison.Ordinal) ? JsonNode.Parse(File.ReadAllText(a.Result.Files[0]))
                    : new JsonObject { ["files"] = new JsonArray([.. a.Result.Files.Select(f => JsonValue.Create(f))]) };
            }
            runs.Add(new JsonObject { ["label"] = run.Run.Label, ["path"] = run.Run.Directory, ["records"] = run.Run.RecordCount, ["analyses"] = analyses });
        }
        var across = new JsonObject();
        foreach (var a in outcome.AcrossRuns)
            across[a.Name] = a.Result is null ? new JsonObject { ["failure"] = a.Failure } : JsonNode.Parse(File.ReadAllText(a.Result.Files[0]));
        var doc = new JsonObject { ["runs"] = runs, ["comparison"] = outcome.Comparison?.DeepClone(), ["across_runs"] = across };
        Console.WriteLine(doc.ToJsonString(RunStore.Json));
    }
}
