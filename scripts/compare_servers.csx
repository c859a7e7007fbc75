// Two servers on the same workload: the same queries, seed and settings against each, then which is faster and
// which spends less energy per token.
//
//   ipw run scripts/compare_servers.csx -- --a http://10.0.0.1:8000 --b http://10.0.0.2:8000 --client vllm --model my-model --queries 100
//
// Arguments: --a and --b (base URLs), --client (openai), --model, --queries (20), --max-tokens (64), --concurrency (1),
// --baseline (0), --output (runs/compare-servers).

var a = Arg("--a");
var b = Arg("--b");
if (a.Length == 0 || b.Length == 0)
{
    Console.Error.WriteLine("compare_servers.csx: give both servers, e.g. -- --a http://host-a:8000 --b http://host-b:8000");
    return 2;
}
var client = Arg("--client", "openai");
var model = Arg("--model", "ipw-tiny");
OutputDir = Arg("--output", Path.Combine("runs", "compare-servers"));

RunHandle Measure(string name, string url)
{
    Console.WriteLine($"== server {name}: {url}");
    return Profile(client: client, model: model, baseUrl: url, maxQueries: int.Parse(Arg("--queries", "20")),
        maxTokens: int.Parse(Arg("--max-tokens", "64")), concurrency: int.Parse(Arg("--concurrency", "1")), temperature: 0, seed: 42,
        baseline: Arg("--baseline", "0"), suffix: name);
}

var runA = Measure("a", a);
var runB = Measure("b", b);
Console.WriteLine();
Compare([runA, runB], OutputDir);

string Ms(double? s) => s is { } v ? $"{v * 1000:F1} ms" : "n/a";
Console.WriteLine();
if (runA.TtftP50S is { } ta && runB.TtftP50S is { } tb)
    Console.WriteLine($"faster first token: {(ta <= tb ? "a" : "b")} (TTFT p50 {Ms(ta)} against {Ms(tb)})");
if (runA.E2eP50S is { } ea && runB.E2eP50S is { } eb)
    Console.WriteLine($"faster answers: {(ea <= eb ? "a" : "b")} (end-to-end p50 {Ms(ea)} against {Ms(eb)})");
if (runA.JoulesPerToken is { } ja && runB.JoulesPerToken is { } jb)
    Console.WriteLine($"less energy per token: {(ja <= jb ? "a" : "b")} ({ja:G3} against {jb:G3} J/token)");
else
    Console.WriteLine("energy per token: not measured on both (see each run's summary.json for why)");
return 0;
