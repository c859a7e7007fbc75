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
        var model = new Option<string?>("--model", "-m") { Description = "model name, or a GGUF path for llamasharp (default: the built-in ipw-tiny model)" };
        var baseUrl = new Option<string?>("--client-base-url") { HelpName = "url", Description = "base URL of the inference service, e.g. http://127.0.0.1:8000/v1 (default: OPENAI_BASE_URL / OLLAMA_HOST, else the service's usual port)" };
        var launch = new Option<string?>("--launch")
        {
            HelpName = "command",
            Description = "start the server with this command, wait until it is ready, measure, then stop it; its start-up is measured apart and its output kept in the run folder's server.log (e.g. \"llama-server -m model.gguf --port 8080\")",
        };
        var waitReady = new Option<string?>("--wait-ready") { Description = "wait up to this long (e.g. 60s) for a service that is still loading before the warm-up" };
        var clientOption = new Option<string[]>("--client-param", "--client-option")
        {
            Description = "client parameter key=value (repeatable): sampling, endpoint, timeouts, header.NAME; unknown keys are errors",
            HelpName = "key=value",
        };
        var maxErrors = new Option<string?>("--max-errors") { Description = "stop the run after N failed queries, or when more than P% have failed (e.g. 10 or 5%)" };
        var threads = new Option<int?>("--threads") { Description = "engine threads (llamasharp, torchsharp)" };
        var contextSize = new Option<int?>("--context-size") { Description = "context size in tokens (llamasharp)" };
        var agent = new Option<string?>("--agent") { Description = "answer each item with this agent, which calls the model and tools step by step, each step measured (see 'ipw list agents')" };
        var agentParam = new Option<string[]>("--agent-param") { Description = "agent setting key=value (repeatable), e.g. max_steps=8, protocol=text or mcp.NAME=CMD", HelpName = "key=value" };
        var dataset = new Option<string>("--dataset") { Description = "dataset (see 'ipw list datasets')", DefaultValueFactory = _ => "ipw" };
        var datasetPath = new Option<string?>("--dataset-path") { Description = "file or folder the dataset reads" };
        var datasetOption = new Option<string[]>("--dataset-option", "--dataset-param") { Description = "dataset setting key=value (repeatable), e.g. subjects=math,chat or repeat=3", HelpName = "key=value" };
        var maxQueries = new Option<int?>("--max-queries", "-n") { Description = "measure at most N queries (default: the whole dataset)" };
        var outputDir = new Option<string>("--output-dir", "-o") { Description = "where run folders go", DefaultValueFactory = _ => "runs" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "generated tokens per query, at most", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature (0: greedy)", DefaultValueFactory = _ => 0.7 };
        var seed = new Option<int>("--seed") { Description = "base sampling seed (query i uses seed+i)", DefaultValueFactory = _ => 0 };
        var warmup = new Option<int>("--warmup") { Description = "warm-up queries sent first and kept out of the results", DefaultValueFactory = _ => 1 };
        var interval = new Option<double>("--sample-interval") { Description = "telemetry sampling period in seconds", DefaultValueFactory = _ => 0.05 };
        var energy = new Option<string[]>("--energy") { Description = "telemetry sources to use (default: every available one)" };
        var gpus = GpuSelection.Option();
        var concurrency = new Option<string?>("--concurrency", "-c") { Description = "closed loop: N requests in flight (default 1: sequential); a list such as 1,2,4,8 sweeps" };
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
        var turnGap = new Option<string?>("--turn-gap")
        {
            HelpName = "gap",
            Description = "with --dataset-param turns=all (conversations replayed turn by turn): the pause between a conversation's turns, as a user's think time: 0s, 2s or normal:MEAN,SD (default 0s)",
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
        var label = new Option<string?>("--label") { Description = "a name for the run: the run folder's suffix (profile_<hardware>_<model>_<label>) and summary.json's config.label" };
        var tag = new Option<string[]>("--tag") { Description = "a tag key=value recorded in summary.json's config.tags (repeatable), for grouping runs", HelpName = "key=value" };
        var json = new Option<bool>("--json") { Description = "print the run's summary.json on stdout when it ends (progress and the report go to stderr)" };
        var config = ConfigFile.Option();
        var printConfig = ConfigFile.PrintOption();
        var tui = new Option<bool>("--tui") { Description = "watch the run in the terminal UI (q stops and saves, p pauses); plain progress when there is no terminal" };

        var command = new Command("profile", "Profile a model: send a workload and record latency, tokens and telemetry per query")
        {
            client, model, baseUrl, launch, waitReady, clientOption, agent, agentParam, threads, contextSize, dataset, datasetPath, datasetOption, maxQueries, maxErrors, outputDir,
            maxTokens, temperature, seed, warmup, interval, energy, gpus, concurrency, rate, arrival, burstiness, workers, workersListen, duration, turnGap, baseline,
            attributionMethod, prefillWeight, percentiles, slo, keepText, progress, tui, resume, label, tag, json, config, printConfig,
        };

        CompletionCommand.Names(client, r => r.Clients);
        CompletionCommand.Names(dataset, r => r.Datasets);
        CompletionCommand.Names(energy, r => r.Telemetry);
        CompletionCommand.Names(agent, r => r.Agents);

        var judge = JudgeOptions.Create();
        judge.AddTo(command);
        var prometheus = new PrometheusOptions();
        prometheus.AddTo(command);
        var costs = new CostOptions();
        costs.AddTo(command);
        GroupedHelp.Group(command,
            ("Model and client", ["--client", "--model", "--client-base-url", "--launch", "--client-param", "--wait-ready", "--threads", "--context-size"]),
            ("Agent", ["--agent", "--agent-param"]),
            ("Workload", ["--dataset", "--dataset-path", "--dataset-option", "--max-queries", "--max-tokens", "--temperature", "--seed", "--warmup", "--keep-text", "--turn-gap"]),
            ("Load", ["--concurrency", "--rate", "--arrival", "--burstiness", "--duration", "--max-errors", "--workers", "--workers-listen"]),
            ("Telemetry and energy", ["--energy", "--gpus", "--sample-interval", "--baseline", "--attribution", "--prefill-weight", "--prometheus-url",
                "--prometheus-job", "--prometheus-instance", "--prometheus-gpu"]),
            ("Metrics", ["--percentiles", "--slo"]),
            ("Cost, carbon and FLOPs", ["--energy-price", "--carbon", "--price-in", "--price-out", "--model-config"]),
            ("Judge", ["--judge-client", "--judge-model", "--judge-base-url", "--judge-mode", "--judge-baseline", "--judge-rubric", "--judge-max-tokens"]),
            ("Output", ["--output-dir", "--label", "--tag", "--progress", "--tui", "--json", "--resume"]),
            ("Config files", ["--config", "--print-config"]));
        // What a resumed run takes from its folder, never from the command line.
        Option[] runShape = [client, model, agent, agentParam, threads, contextSize, dataset, datasetPath, datasetOption, maxQueries, maxErrors, outputDir, maxTokens,
            temperature, seed, warmup, interval, concurrency, rate, arrival, burstiness, workers, workersListen, duration, turnGap, baseline, attributionMethod,
            prefillWeight, percentiles, slo, keepText, label, tag, config, .. costs.All];
        command.SetAction(async (parse, _) =>
        {
            var sources = parse.GetValue(energy);
            var display = new Display(parse.GetValue(tui) ? "tui" : parse.GetValue(progress)!, parse.GetValue(json));
            if (parse.GetValue(resume) is { } folder)
            {
                if (runShape.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } given)
                    throw new UserError($"--resume continues the run with its own options: {given.Name} cannot be given (--client-base-url, --client-param header.*, " +
                        "--launch, --wait-ready, --energy, --gpus, the telemetry options and the display options can)");
                var plan = ResumePlan.Read(folder);
                var resumed = ResumeArgs.From(plan.Prior.Config!, new ResumeOverrides
                {
                    BaseUrl = parse.GetValue(baseUrl),
                    ClientParams = ProfileArgs.ParseSettings("--client-param", parse.GetValue(clientOption) ?? []),
                    WaitReady = parse.GetValue(waitReady),
                    Launch = parse.GetValue(launch),
                    Energy = sources is { Length: > 0 } ? string.Join(',', sources) : null,
                    Gpus = parse.GetValue(gpus),
                    TelemetrySettings = prometheus.Settings(parse),
                }, plan.Folder).ToOptions();
                return await ProfileRun.RunAsync(resumed, display, judge.Read(parse), plan);
            }
            var concurrencies = parse.GetValue(concurrency) is { } c1 ? ParseList("--concurrency", c1, whole: true) : null;
            var rates = parse.GetValue(rate) is { } r1 ? ParseList("--rate", r1, whole: false) : null;
            if (concurrencies is not null && rates is not null)
                throw new UserError("--concurrency (closed loop) and --rate (open loop) cannot be combined: choose one");
            var priced = costs.Read(parse);
            // The first point stands for a sweep's load while the options are checked (each point is checked again).
            var options = new ProfileArgs
            {
                Client = parse.GetValue(client)!,
                Model = parse.GetValue(model),
                BaseUrl = parse.GetValue(baseUrl),
                Launch = parse.GetValue(launch),
                WaitReady = parse.GetValue(waitReady),
                ClientParams = ProfileArgs.ParseSettings("--client-param", parse.GetValue(clientOption) ?? []),
                Threads = parse.GetValue(threads),
                ContextSize = parse.GetValue(contextSize),
                Dataset = parse.GetValue(dataset)!,
                Agent = parse.GetValue(agent),
                AgentParams = ProfileArgs.ParseSettings("--agent-param", parse.GetValue(agentParam) ?? []),
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
                TurnGap = parse.GetValue(turnGap),
                EnergyPrice = priced.EnergyPrice,
                Carbon = priced.Carbon,
                PriceIn = priced.PriceIn,
                PriceOut = priced.PriceOut,
                ModelConfig = priced.ModelConfig,
                Baseline = parse.GetValue(baseline)!,
                Attribution = parse.GetValue(attributionMethod)!,
                PrefillWeight = parse.GetValue(prefillWeight),
                Percentiles = parse.GetValue(percentiles),
                Slo = parse.GetValue(slo),
                KeepText = parse.GetValue(keepText),
                Label = parse.GetValue(label),
                Tags = ProfileArgs.ParseSettings("--tag", parse.GetValue(tag) ?? []),
                Concurrency = concurrencies is [var first, ..] ? (int)first : 1,
                Rate = rates?[0],
            }.ToOptions() with
            { ConfigToml = ConfigFile.Write(parse) };
            if (parse.GetValue(printConfig))
            {
                Console.Write(options.ConfigToml);
                return 0;
            }
            if (concurrencies is { Count: > 1 } || rates is { Count: > 1 })
            {
                var axis = concurrencies is not null ? SweepAxis.Concurrency : SweepAxis.Rate;
                if (judge.Read(parse) is not null)
                    throw new UserError("--judge-client does not apply to sweeps; score each point afterwards with ipw score RUN --judge-client ...");
                if (parse.GetValue(tui))
                    throw new UserError("--tui watches one run, not a sweep; run the sweep with plain progress and open each point with ipw monitor RUN");
                return await ProfileRun.SweepAsync(options, axis, concurrencies ?? rates!, display);
            }
            return await ProfileRun.RunAsync(options, display, judge.Read(parse));
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
}
