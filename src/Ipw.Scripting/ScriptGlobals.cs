using System.Globalization;
using System.Text;
using Ipw.Abstractions;
using Ipw.Core;
using Ipw.Core.Analysis;
using Ipw.Core.Energy;
using Ipw.Core.Plugins;
using Ipw.Core.Profiling;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Scoring;
using Ipw.Core.Session;
using Ipw.Core.Telemetry;

namespace Ipw.Scripting;

/// <summary>
/// The script API: what a <c>.csx</c> script run by <c>ipw run</c>, and every line typed into <c>ipw repl</c>, can
/// call without a prefix. Scripts drive the same pipeline as the CLI and the TUI: the same registries, profiler,
/// analyses and plots. Synchronous methods wait; each has an <c>…Async</c> twin for top-level <c>await</c>.
/// </summary>
public class ScriptGlobals
{
    private readonly Lazy<PluginRegistries> _registries;
    private readonly TextWriter _out;

    /// <param name="args">The script's arguments (after <c>--</c> on the command line).</param>
    /// <param name="registries">Loads the plugins, when first needed.</param>
    /// <param name="output">Where the API's own lines go (reports, tables).</param>
    /// <param name="stopping">Set by the first Ctrl-C: runs stop sending and keep what they measured.</param>
    /// <param name="aborting">Set by a second Ctrl-C: queries in flight are cancelled.</param>
    public ScriptGlobals(IReadOnlyList<string> args, Func<PluginRegistries> registries, TextWriter output,
        CancellationToken stopping = default, CancellationToken aborting = default)
    {
        Args = args;
        _registries = new Lazy<PluginRegistries>(registries, LazyThreadSafetyMode.ExecutionAndPublication);
        _out = output;
        Stopping = stopping;
        Aborting = aborting;
    }

    /// <summary>New stop and abort signals (the REPL gives each submission its own, so one Ctrl-C stops one run).</summary>
    internal void SetCancellation(CancellationToken stopping, CancellationToken aborting)
    {
        Stopping = stopping;
        Aborting = aborting;
    }

    /// <summary>The script's arguments: <c>ipw run sweep.csx -- --models a,b</c> gives <c>["--models", "a,b"]</c>.</summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>The value after <paramref name="name"/> in <see cref="Args"/> (e.g. <c>Arg("--models", "ipw-tiny")</c>), or the default.</summary>
    public string Arg(string name, string fallback = "")
    {
        for (var i = 0; i < Args.Count - 1; i++)
            if (Args[i] == name) return Args[i + 1];
        return fallback;
    }

    /// <summary>Set when the user pressed Ctrl-C once: profiles stop sending and keep what they measured.</summary>
    public CancellationToken Stopping { get; private set; }

    /// <summary>Set by a second Ctrl-C: queries in flight are cancelled.</summary>
    public CancellationToken Aborting { get; private set; }

    /// <summary>Where runs go unless a call says otherwise (default "runs").</summary>
    public string OutputDir { get; set; } = "runs";

    /// <summary>Progress events of every profile this script runs (subscribe with +=).</summary>
    public ScriptEvents Events { get; } = new();

    /// <summary>The plugin registries (clients, datasets, energy backends, analyses, visualizations), loaded from plugins.json.</summary>
    public PluginRegistries Registries => _registries.Value;

    /// <summary>Names of the registered inference clients (as <c>ipw list clients</c>).</summary>
    public IReadOnlyList<string> Clients => Names(Registries.Clients.Entries);

    /// <summary>Names of the registered datasets.</summary>
    public IReadOnlyList<string> Datasets => Names(Registries.Datasets.Entries);

    /// <summary>Names of the registered energy and telemetry backends.</summary>
    public IReadOnlyList<string> EnergyBackends => Names(Registries.Telemetry.Entries);

    /// <summary>Names of the registered analyses.</summary>
    public IReadOnlyList<string> AnalysisNames => Names(Registries.Analyses.Entries);

    /// <summary>Names of the registered visualizations.</summary>
    public IReadOnlyList<string> VisualizationNames => Names(Registries.Visualizations.Entries);

    /// <summary>
    /// Profiles a model: sends the workload and records per-query latency, tokens and telemetry into a run folder,
    /// exactly as <c>ipw profile</c> does with the same options. Prints the run's report when it ends.
    /// </summary>
    /// <param name="client">Inference client ("llamasharp", "ollama", "vllm", "openai", ...).</param>
    /// <param name="model">Model name, or a GGUF path for llamasharp (null: the built-in tiny model).</param>
    /// <param name="baseUrl">The service's base URL.</param>
    /// <param name="dataset">Dataset name ("ipw", "jsonl", ...).</param>
    /// <param name="datasetPath">File or folder the dataset reads.</param>
    /// <param name="maxQueries">Measure at most this many queries.</param>
    /// <param name="maxTokens">Generated tokens per query, at most.</param>
    /// <param name="temperature">Sampling temperature.</param>
    /// <param name="seed">Base seed (query i uses seed + i).</param>
    /// <param name="concurrency">Closed loop: requests in flight.</param>
    /// <param name="rate">Open loop: requests per second.</param>
    /// <param name="duration">Stop sending after this long, e.g. "60s".</param>
    /// <param name="warmup">Warm-up queries.</param>
    /// <param name="baseline">Idle power measured before and after, e.g. "10s" ("0" turns it off).</param>
    /// <param name="threads">Engine threads (llamasharp).</param>
    /// <param name="energy">Telemetry sources, comma-separated (null: every available one).</param>
    /// <param name="clientParams">Client parameters, as --client-param.</param>
    /// <param name="datasetParams">Dataset parameters, as --dataset-param (e.g. subjects=math).</param>
    /// <param name="outputDir">Where the run folder goes (default <see cref="OutputDir"/>).</param>
    /// <param name="progress">Print a progress line a second.</param>
    /// <param name="suffix">Appended to the run folder's name (e.g. "c4"), so the points of a sweep keep apart.</param>
    public RunHandle Profile(string client = "llamasharp", string? model = null, string? baseUrl = null, string dataset = "ipw", string? datasetPath = null,
        int? maxQueries = null, int maxTokens = 128, double temperature = 0.7, int seed = 0, int concurrency = 1, double? rate = null,
        string? duration = null, int warmup = 1, string baseline = "10s", int? threads = null, string? energy = null,
        IReadOnlyDictionary<string, string>? clientParams = null, IReadOnlyDictionary<string, string>? datasetParams = null,
        string? outputDir = null, bool progress = false, string? suffix = null) =>
        ProfileAsync(client, model, baseUrl, dataset, datasetPath, maxQueries, maxTokens, temperature, seed, concurrency, rate, duration, warmup,
            baseline, threads, energy, clientParams, datasetParams, outputDir, progress, suffix).GetAwaiter().GetResult();

    /// <summary>The awaitable <see cref="Profile(string, string?, string?, string, string?, int?, int, double, int, int, double?, string?, int, string, int?, string?, IReadOnlyDictionary{string, string}?, IReadOnlyDictionary{string, string}?, string?, bool, string?)"/>.</summary>
    public Task<RunHandle> ProfileAsync(string client = "llamasharp", string? model = null, string? baseUrl = null, string dataset = "ipw", string? datasetPath = null,
        int? maxQueries = null, int maxTokens = 128, double temperature = 0.7, int seed = 0, int concurrency = 1, double? rate = null,
        string? duration = null, int warmup = 1, string baseline = "10s", int? threads = null, string? energy = null,
        IReadOnlyDictionary<string, string>? clientParams = null, IReadOnlyDictionary<string, string>? datasetParams = null,
        string? outputDir = null, bool progress = false, string? suffix = null)
    {
        var options = new ProfileArgs
        {
            Client = client,
            Model = model,
            BaseUrl = baseUrl,
            ClientParams = clientParams ?? new Dictionary<string, string>(),
            Threads = threads,
            Dataset = dataset,
            DatasetPath = datasetPath,
            DatasetParams = datasetParams ?? new Dictionary<string, string>(),
            MaxQueries = maxQueries,
            MaxTokens = maxTokens,
            Temperature = temperature,
            Seed = seed,
            Concurrency = concurrency,
            Rate = rate,
            Duration = duration,
            Warmup = warmup,
            Baseline = baseline,
            Energy = energy,
            OutputDir = outputDir ?? OutputDir,
            Suffix = suffix,
        }.ToOptions();
        return ProfileAsync(options, progress);
    }

    /// <summary>Profiles with every option spelled out (<see cref="ProfileOptions"/>: the record the CLI fills); with
    /// <paramref name="judge"/>, an LLM grades the answers after the measurement, as <c>ipw profile --judge-client</c>.</summary>
    public RunHandle Profile(ProfileOptions options, bool progress = false, JudgeSettings? judge = null) => ProfileAsync(options, progress, judge).GetAwaiter().GetResult();

    /// <summary>The awaitable <see cref="Profile(ProfileOptions, bool, JudgeSettings?)"/>.</summary>
    public async Task<RunHandle> ProfileAsync(ProfileOptions options, bool progress = false, JudgeSettings? judge = null)
    {
        options = options with { FrontEnd = "script" };
        IProfileObserver observer = progress ? new CompositeObserver([Events, new ProgressLines(_out)]) : Events;
        var outcome = (await new ProfileSession(Registries).RunAsync(options, observer, judge, Stopping, Aborting).ConfigureAwait(false)).Run;
        RunReport.Print(outcome, _out);
        return new RunHandle(outcome.RunPath, outcome);
    }

    /// <summary>Existing runs: folders, sweep folders or globs such as "./runs/profile_*".</summary>
    public IReadOnlyList<RunHandle> Runs(params string[] patterns) =>
        RunInputs.Resolve(patterns.Length == 0 ? [Path.Combine(OutputDir, "*")] : patterns).Select(p => new RunHandle(p)).ToList();

    /// <summary>One existing run folder.</summary>
    public RunHandle OpenRun(string path)
    {
        RunView.Check(path);
        return new RunHandle(path);
    }

    /// <summary>Runs the analyses (all, or those named) on each run, writing analysis/&lt;name&gt;.json, and prints their
    /// tables; several runs also get the side-by-side comparison (comparison.json in <paramref name="comparisonDir"/>).</summary>
    public AnalyzeOutcome Analyze(IEnumerable<RunHandle> runs, IReadOnlyList<string>? analyses = null, string? comparisonDir = null, bool print = true) =>
        AnalyzeAsync(runs, analyses, comparisonDir, print).GetAwaiter().GetResult();

    /// <summary>Analyzes one or more runs with every registered analysis.</summary>
    public AnalyzeOutcome Analyze(params RunHandle[] runs) => Analyze(runs, null, null, true);

    /// <summary>The awaitable <see cref="Analyze(IEnumerable{RunHandle}, IReadOnlyList{string}?, string?, bool)"/>.</summary>
    public async Task<AnalyzeOutcome> AnalyzeAsync(IEnumerable<RunHandle> runs, IReadOnlyList<string>? analyses = null, string? comparisonDir = null, bool print = true)
    {
        var outcome = await Analyzer.RunAsync(Registries, runs.Select(r => r.Path).ToList(), analyses, comparisonDir is null ? null : Path.GetFullPath(comparisonDir), Aborting)
            .ConfigureAwait(false);
        if (print) PrintAnalyses(outcome);
        return outcome;
    }

    /// <summary>The study's analyses across runs of the same items (coverage, routing against <paramref name="reference"/>,
    /// frontier, trend), as <c>ipw analyze --analysis coverage,routing,frontier,trend --reference RUN</c>: prints their
    /// tables and writes coverage.json, routing.json, frontier.json and trend.json beside the runs (or in
    /// <paramref name="outputDir"/>).</summary>
    public AnalyzeOutcome Study(IEnumerable<RunHandle> runs, RunHandle reference, double routerAccuracy = 0.8, string? outputDir = null, bool print = true)
    {
        var parameters = new Dictionary<string, string>
        {
            ["reference"] = Path.GetFullPath(reference.Path),
            ["router_accuracy"] = routerAccuracy.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var outcome = Analyzer.RunAsync(Registries, runs.Select(r => r.Path).ToList(), ["coverage", "routing", "frontier", "trend"],
            outputDir is null ? null : Path.GetFullPath(outputDir), Aborting, parameters).GetAwaiter().GetResult();
        if (print) PrintAnalyses(outcome);
        return outcome;
    }

    /// <summary>Draws the figures (all visualizations, or those named) for the runs; several runs are overlaid.</summary>
    public PlotOutcome Plot(IEnumerable<RunHandle> runs, IReadOnlyList<string>? visualizations = null, string? outputDir = null, string format = "png") =>
        Plotter.RunAsync(Registries, runs.Select(r => r.Path).ToList(), visualizations, outputDir is null ? null : Path.GetFullPath(outputDir), format, Aborting)
            .GetAwaiter().GetResult();

    /// <summary>Draws every figure for one or more runs.</summary>
    public PlotOutcome Plot(params RunHandle[] runs) => Plot(runs, null, null, "png");

    /// <summary>The side-by-side comparison of several runs (throughput, latency, energy, accuracy ...), printed and returned
    /// as text; comparison.json goes to <paramref name="outputDir"/> (default: the first run's parent folder).</summary>
    public string Compare(IEnumerable<RunHandle> runs, string? outputDir = null)
    {
        var list = runs.ToList();
        if (list.Count < 2) throw new UserError($"Compare needs at least two runs, got {list.Count}");
        var dir = outputDir ?? Path.GetDirectoryName(list[0].Path)!;
        var outcome = AnalyzeAsync(list, analyses: ["efficiency"], comparisonDir: dir, print: false).GetAwaiter().GetResult();
        var table = outcome.Comparison is { } c ? ComparisonTable.Format(c) : "";
        _out.Write(table);
        return table;
    }

    /// <summary>A client from the registry, prepared to send (<c>await client.PrepareAsync(default)</c> before use).</summary>
    public IInferenceClient CreateClient(string name, string? model = null, string? baseUrl = null, IReadOnlyDictionary<string, string>? parameters = null) =>
        Registries.Clients.Resolve(name).Descriptor.Create(new ClientOptions(model, baseUrl, parameters ?? new Dictionary<string, string>()));

    /// <summary>A dataset from the registry, to iterate with <c>.Items(default)</c>.</summary>
    public IDataset CreateDataset(string name, string? path = null, IReadOnlyDictionary<string, string>? parameters = null) =>
        Registries.Datasets.Resolve(name).Descriptor.Create(new DatasetOptions(path, parameters ?? new Dictionary<string, string>()));

    /// <summary>
    /// The energy-monitor self-test (as <c>ipw energy test</c>): reads every telemetry backend every
    /// <paramref name="interval"/> seconds for <paramref name="duration"/> seconds, hands each round of readings to
    /// <paramref name="onReading"/> (a counter's reading carries its rate: watts for energy), and returns each backend's
    /// verdict: works, or why not.
    /// </summary>
    public IReadOnlyList<BackendVerdict> EnergyTest(double interval = 2.0, double duration = 10, Action<TimeSpan, IReadOnlyList<MonitorReading>>? onReading = null)
    {
        if (interval is <= 0 or > 3600) throw new UserError($"EnergyTest: interval must be between 0 and 3600 seconds, got {interval}");
        if (duration <= 0) throw new UserError($"EnergyTest: duration must be positive, got {duration}");
        return new EnergyMonitor(Registries).Run(TimeSpan.FromSeconds(interval), TimeSpan.FromSeconds(duration), onReading ?? ((_, _) => { }), Stopping);
    }

    /// <summary>Ends the script now with this exit code.</summary>
    public void Exit(int code) => throw new ScriptExitException(code);

    /// <summary>This API's documentation: every member, or the one named (as the REPL's <c>#help</c>).</summary>
    public string Help(string? member = null) => ApiHelp.Text(member);

    private void PrintAnalyses(AnalyzeOutcome outcome)
    {
        foreach (var run in outcome.Runs)
        {
            foreach (var a in run.Analyses)
            {
                if (a.Result is null)
                {
                    _out.WriteLine($"{run.Run.Label} · {a.Name}: FAILED: {a.Failure}");
                    continue;
                }
                _out.WriteLine($"{run.Run.Label} · {a.Name} → {string.Join(", ", a.Result.Files.Select(f => Path.GetRelativePath(run.Run.Directory, f)))}");
                _out.Write(a.Result.Table);
                foreach (var w in a.Result.Warnings) _out.WriteLine($"  warning: {w}");
            }
        }
        if (outcome.Comparison is { } comparison) _out.Write(ComparisonTable.Format(comparison));
        foreach (var a in outcome.AcrossRuns)
        {
            _out.WriteLine(a.Result is null ? $"{a.Name}: FAILED: {a.Failure}" : $"{a.Name} across runs → {string.Join(", ", a.Result.Files)}");
            if (a.Result is null) continue;
            _out.Write(a.Result.Table);
            foreach (var w in a.Result.Warnings) _out.WriteLine($"  warning: {w}");
        }
    }

    private static IReadOnlyList<string> Names<T>(IEnumerable<RegisteredEntry<T>> entries) where T : EntryDescriptor =>
        entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToList();

    /// <summary>A progress line a second.</summary>
    private sealed class ProgressLines(TextWriter output) : IProfileObserver
    {
        private long _last;

        public void OnQueryCompleted(QueryRecord record, ProfileProgress p)
        {
            var now = Environment.TickCount64;
            if (p.Done != 1 && p.Done != p.Total && now - _last < 1000) return;
            _last = now;
            output.WriteLine($"  [{p.Done}/{p.Total?.ToString(CultureInfo.InvariantCulture) ?? "?"}] errors {p.Errors}, output {p.TokensPerSecond:F0} tok/s");
        }
    }
}

/// <summary>Thrown by <see cref="ScriptGlobals.Exit"/>: ends the script with the code.</summary>
public sealed class ScriptExitException(int code) : Exception($"the script exited with code {code}")
{
    public int Code { get; } = code;
}
