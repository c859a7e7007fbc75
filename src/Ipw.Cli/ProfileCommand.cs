using System.CommandLine;
using System.Globalization;
using Ipw.Core;
using Ipw.Core.Energy;
using Ipw.Core.Profiling;
using Ipw.Core.Runs;
using Ipw.Core.Scoring;
using Ipw.Core.Session;
using Ipw.Core.Telemetry;

namespace Ipw.Cli;

/// <summary><c>ipw profile</c>: send a workload, record per-query telemetry, write a run folder.</summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var client = new Option<string>("--client") { Description = "inference client (see 'ipw list clients')", DefaultValueFactory = _ => "llamasharp" };
        var model = new Option<string?>("--model") { Description = "model name, or a GGUF path for llamasharp (default: the built-in ipw-tiny model)" };
        var baseUrl = new Option<string?>("--client-base-url") { Description = "base URL of the inference service, e.g. http://127.0.0.1:8000/v1 (default: OPENAI_BASE_URL / OLLAMA_HOST, else the service's usual port)" };
        var waitReady = new Option<string?>("--wait-ready") { Description = "wait up to this long (e.g. 60s) for a service that is still loading before the warm-up" };
        var clientOption = new Option<string[]>("--client-param", "--client-option")
        {
            Description = "client parameter key=value (repeatable): sampling, endpoint, timeouts, header.NAME; unknown keys are errors",
        };
        var maxErrors = new Option<string?>("--max-errors") { Description = "stop the run after N failed queries, or when more than P% have failed (e.g. 10 or 5%)" };
        var threads = new Option<int?>("--threads") { Description = "engine threads (llamasharp, torchsharp)" };
        var contextSize = new Option<int?>("--context-size") { Description = "context size in tokens (llamasharp)" };
        var dataset = new Option<string>("--dataset") { Description = "dataset (see 'ipw list datasets')", DefaultValueFactory = _ => "ipw" };
        var datasetPath = new Option<string?>("--dataset-path") { Description = "file or folder the dataset reads" };
        var datasetOption = new Option<string[]>("--dataset-option", "--dataset-param") { Description = "dataset setting key=value (repeatable), e.g. subjects=math,chat or repeat=3" };
        var maxQueries = new Option<int?>("--max-queries") { Description = "measure at most N queries (default: the whole dataset)" };
        var outputDir = new Option<string>("--output-dir") { Description = "where run folders go", DefaultValueFactory = _ => "runs" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "generated tokens per query, at most", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature (0: greedy)", DefaultValueFactory = _ => 0.7 };
        var seed = new Option<int>("--seed") { Description = "base sampling seed (query i uses seed+i)", DefaultValueFactory = _ => 0 };
        var warmup = new Option<int>("--warmup") { Description = "warm-up queries sent first and kept out of the results", DefaultValueFactory = _ => 1 };
        var interval = new Option<double>("--sample-interval") { Description = "telemetry sampling period in seconds", DefaultValueFactory = _ => 0.05 };
        var energy = new Option<string[]>("--energy") { Description = "telemetry sources to use (default: every available one)" };
        var gpus = GpuSelection.Option();
        var concurrency = new Option<string?>("--concurrency") { Description = "closed loop: N requests in flight (default 1: sequential); a list such as 1,2,4,8 sweeps" };
        var rate = new Option<string?>("--rate") { Description = "open loop: requests per second, sent on schedule, or inf to send every query at once; a list such as 1,2,4 sweeps" };
        var arrival = new Option<string>("--arrival") { Description = "open-loop arrivals: poisson or constant", DefaultValueFactory = _ => "poisson" };
        arrival.AcceptOnlyFromAmong("poisson", "constant");
        var burstiness = new Option<double?>("--burstiness")
        {
            Description = "open loop: gamma-distributed gaps of this shape, mean 1/rate (1: Poisson; below 1 burstier, above 1 more even; as vLLM's --burstiness)",
        };
        var workers = new Option<int>("--workers")
        {
            Description = "open loop: send from N worker processes sharing one schedule (drawn here, split among them) when one process cannot keep up; this one keeps the telemetry and the run folder",
            DefaultValueFactory = _ => 1,
        };
        var workersListen = new Option<string?>("--workers-listen")
        {
            Description = "with --workers N: wait at host:port for N workers started elsewhere ('ipw worker --connect HOST:PORT', see docs/scale-out.md) instead of starting them here",
        };
        var duration = new Option<string?>("--duration") { Description = "stop sending after this long, e.g. 60s or 5m (the dataset is cycled to fill it)" };
        var baseline = new Option<string>("--baseline") { Description = "idle power measured this long before and after the run, e.g. 10s (0: off)", DefaultValueFactory = _ => "10s" };
        var attributionMethod = new Option<string>("--attribution") { Description = "sharing energy among concurrent queries: overlap (time), phase (prefill weighted by --prefill-weight) or fitted (a power model fitted to the run, when it closes)", DefaultValueFactory = _ => "fitted" };
        attributionMethod.AcceptOnlyFromAmong("overlap", "phase", "fitted");
        var prefillWeight = new Option<double>("--prefill-weight") { Description = "with --attribution phase: a query in prefill weighs this much against one decoding", DefaultValueFactory = _ => 2.0 };
        var percentiles = new Option<string?>("--percentiles")
        {
            Description = "percentiles of TTFT, TPOT, ITL and end-to-end latency reported besides mean and median, e.g. 50,90,99 (default 99, as vLLM's --metric-percentiles)",
        };
        var slo = new Option<string?>("--slo")
        {
            Description = "service-level objectives for goodput, any of ttft, tpot, e2e, e.g. ttft=200ms,tpot=50ms,e2e=5s: the share of queries that met them all, and good requests per second",
        };
        var progress = new Option<string>("--progress") { Description = "auto, bar, plain or none", DefaultValueFactory = _ => "auto" };
        progress.AcceptOnlyFromAmong("auto", "bar", "plain", "none");
        var resume = new Option<string?>("--resume")
        {
            Description = "continue a run that was cut short (Ctrl-C, SIGTERM, kill, a full disk) in its folder: its own options, the items it has not recorded",
        };
        var keepText = new Option<bool>("--keep-text")
        {
            Description = "keep each query's prompt, response and reasoning text in its record (default true); false keeps the grade but not the text, so the run cannot be rescored or judged later",
            DefaultValueFactory = _ => true,
        };
        var tui = new Option<bool>("--tui") { Description = "watch the run in the terminal UI (q stops and saves, p pauses); plain progress when there is no terminal" };

        var command = new Command("profile", "Profile a model: send a workload and record latency, tokens and telemetry per query")
        {
            client, model, baseUrl, waitReady, clientOption, threads, contextSize, dataset, datasetPath, datasetOption, maxQueries, maxErrors, outputDir,
            maxTokens, temperature, seed, warmup, interval, energy, gpus, concurrency, rate, arrival, burstiness, workers, workersListen, duration, baseline,
            attributionMethod, prefillWeight, percentiles, slo, keepText, progress, tui, resume,
        };

        var judge = JudgeOptions.Create();
        judge.AddTo(command);
        var prometheus = new PrometheusOptions();
        prometheus.AddTo(command);
        // What a resumed run takes from its folder, never from the command line.
        Option[] runShape = [client, model, threads, contextSize, dataset, datasetPath, datasetOption, maxQueries, maxErrors, outputDir, maxTokens,
            temperature, seed, warmup, interval, concurrency, rate, arrival, burstiness, workers, workersListen, duration, baseline, attributionMethod,
            prefillWeight, percentiles, slo, keepText];
        command.SetAction(async (parse, _) =>
        {
            var sources = parse.GetValue(energy);
            if (parse.GetValue(resume) is { } folder)
            {
                if (runShape.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } given)
                    throw new UserError($"--resume continues the run with its own options: {given.Name} cannot be given (--client-base-url, --client-param header.*, " +
                        "--wait-ready, --energy, --gpus, the telemetry options and the display options can)");
                var plan = ResumePlan.Read(folder);
                var resumed = ResumeArgs.From(plan.Prior.Config!, new ResumeOverrides
                {
                    BaseUrl = parse.GetValue(baseUrl),
                    ClientParams = ProfileArgs.ParseSettings("--client-param", parse.GetValue(clientOption) ?? []),
                    WaitReady = parse.GetValue(waitReady),
                    Energy = sources is { Length: > 0 } ? string.Join(',', sources) : null,
                    Gpus = parse.GetValue(gpus),
                    TelemetrySettings = prometheus.Settings(parse),
                }, plan.Folder).ToOptions();
                return await RunAsync(resumed, parse.GetValue(tui) ? "tui" : parse.GetValue(progress)!, judge.Read(parse), plan);
            }
            var concurrencies = parse.GetValue(concurrency) is { } c1 ? ParseList("--concurrency", c1, whole: true) : null;
            var rates = parse.GetValue(rate) is { } r1 ? ParseList("--rate", r1, whole: false) : null;
            if (concurrencies is not null && rates is not null)
                throw new UserError("--concurrency (closed loop) and --rate (open loop) cannot be combined: choose one");
            // The first point stands for a sweep's load while the options are checked (each point is checked again).
            var options = new ProfileArgs
            {
                Client = parse.GetValue(client)!,
                Model = parse.GetValue(model),
                BaseUrl = parse.GetValue(baseUrl),
                WaitReady = parse.GetValue(waitReady),
                ClientParams = ProfileArgs.ParseSettings("--client-param", parse.GetValue(clientOption) ?? []),
                Threads = parse.GetValue(threads),
                ContextSize = parse.GetValue(contextSize),
                Dataset = parse.GetValue(dataset)!,
                DatasetPath = parse.GetValue(datasetPath),
                DatasetParams = ProfileArgs.ParseSettings("--dataset-option", parse.GetValue(datasetOption) ?? []),
                MaxQueries = parse.GetValue(maxQueries),
                MaxErrors = parse.GetValue(maxErrors),
                OutputDir = parse.GetValue(outputDir)!,
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                Seed = parse.GetValue(seed),
                Warmup = parse.GetValue(warmup),
                SampleIntervalS = parse.GetValue(interval),
                Energy = sources is { Length: > 0 } ? string.Join(',', sources) : null,
                Gpus = parse.GetValue(gpus),
                TelemetrySettings = prometheus.Settings(parse),
                Arrival = parse.GetValue(arrival)!,
                Burstiness = parse.GetValue(burstiness),
                Workers = parse.GetValue(workers),
                WorkersListen = parse.GetValue(workersListen),
                Duration = parse.GetValue(duration),
                Baseline = parse.GetValue(baseline)!,
                Attribution = parse.GetValue(attributionMethod)!,
                PrefillWeight = parse.GetValue(prefillWeight),
                Percentiles = parse.GetValue(percentiles),
                Slo = parse.GetValue(slo),
                KeepText = parse.GetValue(keepText),
                Concurrency = concurrencies is [var first, ..] ? (int)first : 1,
                Rate = rates?[0],
            }.ToOptions();
            if (concurrencies is { Count: > 1 } || rates is { Count: > 1 })
            {
                var axis = concurrencies is not null ? SweepAxis.Concurrency : SweepAxis.Rate;
                if (judge.Read(parse) is not null)
                    throw new UserError("--judge-client does not apply to sweeps; score each point afterwards with ipw score RUN --judge-client ...");
                if (parse.GetValue(tui))
                    throw new UserError("--tui watches one run, not a sweep; run the sweep with plain progress and open each point with ipw monitor RUN");
                return await SweepAsync(options, axis, concurrencies ?? rates!, parse.GetValue(progress)!);
            }
            return await RunAsync(options, parse.GetValue(tui) ? "tui" : parse.GetValue(progress)!, judge.Read(parse));
        });
        return command;
    }

    /// <summary>"1,2,4": every value checked, so a sweep with one bad point is refused before anything runs.</summary>
    private static List<double> ParseList(string option, string text, bool whole)
    {
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (whole)
            {
                if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                    throw new UserError($"{option}: '{part}' is not a whole number of at least 1 (in '{text}')");
                values.Add(n);
            }
            else
            {
                if (part.Equals("inf", StringComparison.OrdinalIgnoreCase) || part.Equals("infinity", StringComparison.OrdinalIgnoreCase))
                {
                    values.Add(double.PositiveInfinity); // every query at once, as vLLM's --request-rate inf
                    continue;
                }
                if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v > 0) || double.IsInfinity(v))
                    throw new UserError($"{option}: '{part}' is not a positive number of requests per second or inf (in '{text}')");
                values.Add(v);
            }
        }
        return values;
    }

    private static async Task<int> SweepAsync(ProfileOptions template, SweepAxis axis, IReadOnlyList<double> values, string progressMode)
    {
        // Every point is checked before the plugins load or a request is sent.
        SweepRunner.Points(template, axis, values);
        var registries = PluginLoading.Load();
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        using var interrupts = Interrupts.Install(stop, abort, "stopping after the queries in flight (Ctrl-C again to cancel them)");
        var mode = progressMode == "auto" ? "plain" : progressMode;
        template = template with { FrontEnd = mode };
        var outcome = await new SweepRunner(registries).RunAsync(template, axis, values,
            p => mode == "none" ? null : new PlainProgress($"[{(axis == SweepAxis.Concurrency ? $"concurrency {p.Concurrency}" : $"rate {p.Rate}/s")}] "),
            stop.Token, abort.Token);
        foreach (var point in outcome.Points) RunReport.Print(point, Console.Out);
        Console.WriteLine($"sweep {outcome.Status}: {outcome.Points.Count} of {values.Count} points; summary in {Path.Combine(outcome.SweepPath, SweepRunner.SweepFileName)}");
        if (outcome.Status == "interrupted") return interrupts.ExitCode(130);
        return outcome.Points.Any(p => p.Status != "completed") ? 1 : 0;
    }

    private static async Task<int> RunAsync(ProfileOptions options, string progressMode, JudgeSettings? judge, ResumePlan? resume = null)
    {
        var registries = PluginLoading.Load();
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        using var interrupts = Interrupts.Install(stop, abort, options.LoadMode == "sequential"
            ? "stopping after the query in flight (Ctrl-C again to cancel it)"
            : "stopping after the queries in flight (Ctrl-C again to cancel them)");
        var mode = progressMode == "auto" ? (Console.IsOutputRedirected ? "plain" : "bar") : progressMode;
        if (mode == "tui" && TuiProfile.NoTerminalReason() is { } why)
        {
            Console.Error.WriteLine($"ipw: --tui needs a terminal ({why}); showing plain progress instead");
            mode = "plain";
        }
        options = options with { FrontEnd = mode };
        var session = new ProfileSession(registries);
        var stoppedInTui = false;
        SessionOutcome result;
        if (mode == "tui")
            (result, stoppedInTui) = TuiProfile.Run((o, s, a, gate) => session.RunAsync(options, o, judge, s, a, gate, resume), abort);
        else
            result = mode == "bar"
                ? await ConsoleProgress.RunWithBarAsync(o => session.RunAsync(options, o, judge, stop.Token, abort.Token, resume: resume))
                : await session.RunAsync(options, mode == "plain" ? new PlainProgress() : null, judge, stop.Token, abort.Token, resume: resume);
        var outcome = result.Run;
        RunReport.Print(outcome, Console.Out);
        if (result.Judged is { } o)
        {
            var accuracy = o.Graded > 0 ? ((double)o.Correct / o.Graded).ToString("P1", CultureInfo.InvariantCulture) : "n/a";
            Console.WriteLine($"judged by {result.JudgeModel}: {o.Graded} graded, {o.Correct} correct ({accuracy})");
        }
        if (stoppedInTui)
        {
            Console.WriteLine($"stopped from the monitor after {outcome.Queries} queries; the run is saved in {outcome.RunPath}");
            return 0;
        }
        if (outcome.Status is "interrupted" or "aborted") Console.WriteLine($"to finish it: ipw profile --resume {outcome.RunPath}");
        if (outcome.Status == "interrupted") return interrupts.ExitCode(130);
        if (outcome.Status == "aborted")
        {
            Console.Error.WriteLine($"ipw: error: {outcome.Failure ?? $"stopped after {outcome.Errors} failed queries"}; completed queries are saved in {outcome.RunPath}");
            return 1;
        }
        if (outcome.Queries > 0 && outcome.Errors == outcome.Queries)
        {
            Console.Error.WriteLine($"ipw: error: all {outcome.Queries} queries failed; see the 'error' column in {outcome.RunPath}");
            return 1;
        }
        return 0;
    }
}
