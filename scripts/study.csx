// The Intelligence-per-Watt study on your own models: one graded workload through each model, then which share of the
// queries the models answer together (coverage), what routing each query to the cheapest model that answers it would
// save against the reference alone (routing), which models no other beats on accuracy for the energy (frontier), and
// how intelligence per watt moves from model to model (trend; across machines, give the runs to ipw analyze oldest first).
//
//   ipw run scripts/study.csx -- --models "ollama:llama3.2:1b@http://localhost:11434,ollama:qwen3:8b@http://localhost:11434" --queries 100
//
// Arguments:
//   --models           comma-separated CLIENT:MODEL[@BASE_URL][#MAX_TOKENS]; default: the built-in model at two decoding
//                      budgets ("llamasharp:ipw-tiny#8,llamasharp:ipw-tiny#32"), which walks through the study on this
//                      machine alone (the tiny model is not trained, so it answers almost nothing: the tables are real,
//                      the intelligence is not)
//   --reference        which model is the reference (the cloud or largest one), counted from 1 (default: the last)
//   --queries          queries per model (20); --subjects (math,knowledge,logic); --max-tokens (64)
//   --router-accuracy  the simulated router's accuracy (0.8); --output (runs/study)

var specs = Arg("--models", "llamasharp:ipw-tiny#8,llamasharp:ipw-tiny#32").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
if (specs.Length < 2)
{
    Console.Error.WriteLine("study.csx: --models needs at least two models, e.g. --models \"llamasharp:ipw-tiny#8,llamasharp:ipw-tiny#32\"");
    return 2;
}
var referenceIndex = int.Parse(Arg("--reference", specs.Length.ToString()));
if (referenceIndex < 1 || referenceIndex > specs.Length)
{
    Console.Error.WriteLine($"study.csx: --reference must be between 1 and {specs.Length}, got {referenceIndex}");
    return 2;
}
OutputDir = Arg("--output", Path.Combine("runs", "study"));
var queries = int.Parse(Arg("--queries", "20"));
var subjects = Arg("--subjects", "math,knowledge,logic");

var runs = new List<RunHandle>();
for (var i = 0; i < specs.Length; i++)
{
    // CLIENT:MODEL[@BASE_URL][#MAX_TOKENS]: the model name may itself hold colons (llama3.2:1b).
    var spec = specs[i];
    var maxTokens = int.Parse(Arg("--max-tokens", "64"));
    if (spec.LastIndexOf('#') is var hash and > 0) { maxTokens = int.Parse(spec[(hash + 1)..]); spec = spec[..hash]; }
    string? baseUrl = null;
    if (spec.IndexOf('@') is var at and > 0) { baseUrl = spec[(at + 1)..]; spec = spec[..at]; }
    var colon = spec.IndexOf(':');
    if (colon <= 0)
    {
        Console.Error.WriteLine($"study.csx: '{specs[i]}' is not CLIENT:MODEL[@BASE_URL][#MAX_TOKENS]");
        return 2;
    }
    Console.WriteLine($"== model {i + 1} of {specs.Length}: {specs[i]}");
    // The same items, in the same order, with the same seed and greedy decoding, so runs match item by item.
    runs.Add(Profile(client: spec[..colon], model: spec[(colon + 1)..], baseUrl: baseUrl, maxQueries: queries, maxTokens: maxTokens,
        temperature: 0, seed: 42, baseline: "0", datasetParams: new Dictionary<string, string> { ["subjects"] = subjects },
        suffix: $"m{i + 1}"));
}

Console.WriteLine();
Study(runs, runs[referenceIndex - 1], double.Parse(Arg("--router-accuracy", "0.8"), System.Globalization.CultureInfo.InvariantCulture), OutputDir);
var figures = Plot(runs, ["frontier"], Path.Combine(OutputDir, "plots"));
foreach (var v in figures.Visualizations)
{
    foreach (var f in v.Result?.Files ?? []) Console.WriteLine($"figure: {f}");
    foreach (var n in v.Result?.Notes ?? []) Console.WriteLine($"note: {n}");
}
return 0;
