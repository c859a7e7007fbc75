using System.CommandLine;
using System.Globalization;
using Ipw.Core;
using Ipw.Core.Scoring;

namespace Ipw.Cli;

/// <summary><c>ipw score RUN...</c>: grade (again) the answers of finished runs, with the offline graders or a judge model.</summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "run folders (profile_*)", Arity = ArgumentArity.OneOrMore };
        var grader = new Option<string?>("--grader") { Description = "grade every row that has a reference with this grader (e.g. numeric:0.01, judge), instead of each row's own" };
        var judge = JudgeOptions.Create();
        var command = new Command("score", "Score or rescore the answers of finished runs, and update their summary's intelligence metrics") { runs, grader };
        judge.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var graderName = parse.GetValue(grader);
            var settings = judge.Read(parse);
            if (settings is null && graderName == GraderSet.JudgeName)
                throw new UserError("--grader judge needs a judge: --judge-client CLIENT --judge-model MODEL [--judge-base-url URL]");
            if (settings is not null) graderName ??= GraderSet.JudgeName;
            var registries = PluginLoading.Load();
            var graders = new GraderSet(registries);
            await using var model = settings is null ? null : await Judge.CreateAsync(settings, registries, cancellationToken);
            foreach (var run in parse.GetValue(runs)!)
            {
                var o = await RunScorer.RescoreAsync(Path.GetFullPath(run), graders, graderName, model, cancellationToken,
                    settings?.BaselineRun is { } b ? Path.GetFullPath(b) : null);
                var accuracy = o.Graded > 0 ? ((double)o.Correct / o.Graded).ToString("P1", CultureInfo.InvariantCulture) : "n/a";
                Console.WriteLine($"{run}: {o.Rows} rows, {o.Graded} graded, {o.Correct} correct ({accuracy})");
            }
            return 0;
        });
        return command;
    }
}

/// <summary>The judge options, shared by <c>ipw score</c> and <c>ipw profile</c>.</summary>
internal sealed class JudgeOptions
{
    private readonly Option<string?> _client = new("--judge-client") { Description = "grade with a judge model reached through this client (openai, ollama, vllm, llamasharp, ...)" };
    private readonly Option<string?> _model = new("--judge-model") { Description = "the judge model" };
    private readonly Option<string?> _baseUrl = new("--judge-base-url") { Description = "the judge's server, for HTTP clients" };
    private readonly Option<string> _mode = new("--judge-mode") { Description = "reference (is the answer right?) or pairwise (is it better than a baseline?)", DefaultValueFactory = _ => "reference" };
    private readonly Option<string?> _baseline = new("--judge-baseline") { Description = "pairwise: a run whose answers to the same items are the baseline (default: the reference answers)" };
    private readonly Option<string?> _rubric = new("--judge-rubric") { Description = "extra grading instructions for the judge, or @FILE" };
    private readonly Option<int> _maxTokens = new("--judge-max-tokens") { Description = "the judge's answer length", DefaultValueFactory = _ => 256 };

    public static JudgeOptions Create() => new();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _client, _model, _baseUrl, _mode, _baseline, _rubric, _maxTokens }) command.Options.Add(option);
    }

    /// <summary>The judge settings, or null when no judge client is named.</summary>
    public JudgeSettings? Read(ParseResult parse)
    {
        var client = parse.GetValue(_client);
        if (client is null)
        {
            foreach (var o in new Option[] { _model, _baseUrl, _baseline, _rubric })
                if (parse.GetResult(o) is { Implicit: false }) throw new UserError($"{o.Name} needs --judge-client");
            return null;
        }
        var mode = parse.GetValue(_mode)!;
        if (mode is not ("reference" or "pairwise")) throw new UserError($"--judge-mode must be reference or pairwise, got '{mode}'");
        var baseline = parse.GetValue(_baseline);
        if (baseline is not null && mode != "pairwise") throw new UserError("--judge-baseline needs --judge-mode pairwise");
        var rubric = parse.GetValue(_rubric);
        if (rubric is ['@', .. var file])
            rubric = File.Exists(file) ? File.ReadAllText(file) : throw new UserError($"--judge-rubric: no such file '{file}'");
        var maxTokens = parse.GetValue(_maxTokens);
        if (maxTokens < 1) throw new UserError($"--judge-max-tokens must be at least 1, got {maxTokens}");
        return new JudgeSettings(client, parse.GetValue(_model), parse.GetValue(_baseUrl), mode, rubric, baseline, maxTokens);
    }
}
