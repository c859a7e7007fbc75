// A sweep over models and concurrency, with a comparison table at the end.
//
//   ipw run scripts/sweep.csx -- --client vllm --base-url http://gpu:8000 --models qwen2.5-1.5b,llama-3.2-1b --concurrency 1,4,16 --queries 200
//
// Each (model, concurrency) point is one profile run in --output (default runs/sweep-script), named ..._cN.
// Arguments: --client (llamasharp), --base-url, --models (ipw-tiny), --concurrency (1,2), --queries (20),
// --max-tokens (64), --threads (llamasharp engine threads), --baseline (0: no idle measurement), --output.

var client = Arg("--client", "llamasharp");
var baseUrl = Arg("--base-url") is { Length: > 0 } u ? u : null;
var models = Arg("--models", "ipw-tiny").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var levels = Arg("--concurrency", "1,2").Split(',').Select(int.Parse).ToArray();
var queries = int.Parse(Arg("--queries", "20"));
var maxTokens = int.Parse(Arg("--max-tokens", "64"));
int? threads = Arg("--threads") is { Length: > 0 } t ? int.Parse(t) : null;
OutputDir = Arg("--output", Path.Combine("runs", "sweep-script"));

var points = new List<(string Model, int Concurrency, RunHandle Run)>();
foreach (var model in models)
{
    foreach (var c in levels)
    {
        Console.WriteLine($"== {model} at concurrency {c}");
        var run = Profile(client: client, model: model == "ipw-tiny" && client == "llamasharp" ? null : model, baseUrl: baseUrl,
            maxQueries: queries, maxTokens: maxTokens, concurrency: c, threads: threads, baseline: Arg("--baseline", "0"), temperature: 0,
            suffix: $"c{c}");
        points.Add((Path.GetFileNameWithoutExtension(model), c, run));
        if (Stopping.IsCancellationRequested) break;
    }
}

// One row per point: what a sweep is read for.
string N(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "n/a";
Console.WriteLine();
Console.WriteLine($"{"model",-24} {"conc",4} {"queries",7} {"errors",6} {"tok/s",8} {"TTFT p50 ms",11} {"E2E p99 ms",10} {"J/token",9} {"accuracy",8}");
foreach (var (model, c, run) in points)
    Console.WriteLine($"{model,-24} {c,4} {run.Queries,7} {run.Errors,6} {N(run.TokensPerSecond, "0.0"),8} {N(run.TtftP50S * 1000, "0.0"),11} "
        + $"{N(run.E2eP99S * 1000, "0.0"),10} {N(run.JoulesPerToken, "0.####"),9} {N(run.Accuracy * 100, "0.0") + (run.Accuracy is null ? "" : "%"),8}");

// The full side-by-side comparison (comparison.json beside the runs).
if (points.Count > 1)
{
    Console.WriteLine();
    Compare(points.Select(p => p.Run), OutputDir);
}
return points.All(p => p.Run.Status == "completed") ? 0 : 1;
