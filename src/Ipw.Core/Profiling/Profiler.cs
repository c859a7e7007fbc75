using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Hardware;
using Ipw.Core.Load;
using Ipw.Core.Measurement;
using Ipw.Core.Plugins;
using Ipw.Core.Records;
using Ipw.Core.Records.Stages;
using Ipw.Core.Runs;
using Ipw.Core.Scoring;
using Ipw.Core.Serving;
using Ipw.Core.Summary;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Profiling;

/// <summary>
/// The profile pipeline: resolves the client, dataset and telemetry sources from the registries, sends
/// the workload, measures each query over its own telemetry window, and appends each record as it
/// completes. Every front end (CLI, TUI, scripts) runs profiles through this one class.
/// </summary>
public sealed class Profiler(PluginRegistries registries)
{
    public static string IpwVersion { get; } =
        typeof(Profiler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Runs a profile.</summary>
    /// <param name="stop">Graceful stop: no new query is sent; the one in flight completes and is kept.</param>
    /// <param name="abort">Hard stop: the query in flight is cancelled (and recorded as cancelled).</param>
    /// <param name="gate">Pauses and resumes sending while the run goes on (see <see cref="SendGate"/>).</param>
    /// <param name="resume">A run cut short, continued in its own folder: the items it has not recorded are sent.</param>
    public async Task<ProfileOutcome> RunAsync(ProfileOptions options, IProfileObserver? observer = null,
        CancellationToken stop = default, CancellationToken abort = default, SendGate? gate = null, ResumePlan? resume = null)
    {
        observer ??= new CompositeObserver([]);
        options.Validate();
        var clientEntry = registries.Clients.Resolve(options.Client);
        var datasetEntry = registries.Datasets.Resolve(options.Dataset);
        var agent = options.Agent is { } agentName ? PluginCalls.CreateAgent(registries.Agents.Resolve(agentName), options) : null;
        var dataset = PluginCalls.CreateDataset(datasetEntry, options);
        resume?.CheckDataset(dataset, abort);
        // Conversations replayed turn by turn (turns=all): each turn is a query, so the count of queries is not the items'.
        var replays = dataset.Items(abort).Take(1).Any(i => i.ReplayTurns);
        if (replays && resume is not null) throw new UserError("a run of replayed conversations (turns=all) cannot be resumed: run it again");

        // Check the output folder before the (possibly slow) model load.
        var outputRoot = RunStore.EnsureWritable(options.OutputDir);

        // A server the run starts itself: the client's readiness wait (--wait-ready) waits for it, ended early if it exits.
        await using var launched = options.Launch is { } command ? LaunchedServer.Start(command, outputRoot, registries, options) : null;
        if (launched is not null) options = options with { WaitReady = options.WaitReady ?? LaunchedServer.DefaultReadyWait };
        await using var client = PluginCalls.CreateClient(clientEntry, options);
        ClientInfo info;
        try
        {
            using var untilExit = launched?.UntilExit(abort);
            info = await client.PrepareAsync(untilExit?.Token ?? abort).ConfigureAwait(false);
        }
        catch (Exception) when (launched is not null && !abort.IsCancellationRequested && launched.ExitedBy(TimeSpan.FromSeconds(1)))
        {
            throw new UserError(launched.ExitedBeforeReady());
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"{options.Client}: {e.Message}");
        }
        launched?.Ready();
        await using var agentResources = agent as IAsyncDisposable;
        if (agent is not null) await PluginCalls.PrepareAgentAsync(agent, options, abort).ConfigureAwait(false);
        if (info.ColdStart && options.Warmup > 0)
            throw new UserError($"{options.Client}: the first query measures the model's cold load, but --warmup {options.Warmup} would spend it before " +
                "measurement: add --warmup 0");

        // Worker processes start before the idle baseline, so their start-up is in no measured window.
        await using var workers = options.Workers > 1 || options.WorkersListen is not null
            ? await Workers.WorkerPool.StartAsync(options, [.. PluginCalls.WarmUpRequests(dataset, options, abort)], abort).ConfigureAwait(false)
            : null;

        // Probe the telemetry first: the run folder is named after the GPUs the backends found, if any.
        using var session = new TelemetrySession(TelemetrySources.Create(registries, options.TelemetrySources, options.TelemetryOptions), options.SampleInterval, start: false)
        {
            // Under load, edges come thousands a second: a sample this recent stands for an edge. One query at a time
            // reads every edge.
            EdgeMinSpacing = options.LoadMode == "sequential" ? TimeSpan.Zero : options.SampleInterval / 10,
        };
        var hardware = HardwareInfo.Detect(GpuNames(session));
        resume?.CheckSame(hardware.Label, info.Model);
        var summary = new SummaryState(options.Slo);
        using var run = resume is null ? RunStore.Create(outputRoot, hardware.Label, info.Model, options.RunSuffix) : resume.Reopen(summary);
        if (resume is null) run.WriteConfig(options.ConfigToml);
        // A resumed run's clock continues from where its earlier part ended: the time between the parts is in no window.
        var before = TimeSpan.FromSeconds(resume?.PriorDurationS ?? 0);
        var runStart = Stopwatch.GetTimestamp() - (long)(before.TotalSeconds * Stopwatch.Frequency);
        var wallStart = DateTimeOffset.UtcNow - before;
        if (launched is not null)
        {
            launched.MoveLogInto(run);
            summary.Launch = launched.Section;
        }
        var attribution = new TelemetryMap(session);
        EnergyAttributor? energy = null;
        if (attribution.EnergyMetrics.Count > 0)
        {
            energy = new EnergyAttributor(attribution.EnergyClocks, options.Attribution, options.PrefillWeight);
            var indices = attribution.EnergyMetrics.ToArray();
            var reading = new double[indices.Length];
            session.OnSample = (t, values) =>
            {
                for (var i = 0; i < indices.Length; i++) reading[i] = values[indices[i]];
                energy.AddReading(t, reading);
            };
            // Stepped counters read alone between samples: each step placed to within a few ms.
            var counterOf = Enumerable.Range(0, session.Metrics.Count).Select(m => Array.IndexOf(indices, m)).ToArray();
            session.OnCounterRead = (t, metric, value) =>
            {
                if (counterOf[metric] is var c and >= 0) energy.AddReading(c, t, value);
            };
        }
        session.Start(run.CreateTelemetrySink(runStart));
        var total = replays ? null : Load.ItemSource.PlannedQueries(options, dataset) - (resume?.Done.Count ?? 0);

        var facts = new RunFacts(options, info, clientEntry, datasetEntry, dataset, hardware, registries, resume?.StartedAt(wallStart) ?? wallStart);
        var publisher = new SummaryPublisher(new RunSummaryBuilder(facts, session, attribution, energy, summary), summary, run, runStart);
        run.Prewarm();
        publisher.Publish("running");
        observer.OnStarted(new ProfileStarted(run.Path, options.Client, info.Model, dataset.Identity, total, hardware.Label,
            session.Reports, attribution.EnergyStatus)
        {
            Live = new LiveTelemetry(session, runStart),
            Concurrency = options.Rate is null ? options.Concurrency : null,
            Rate = options.Rate,
            ClientAddress = info.Address,
        });

        var assembler = new RecordAssembler(
        [
            new QueryStage(options.Dataset, options.Client, info.Model, options.KeepText),
            new TimingStage(runStart, wallStart),
            new TokenStage(),
            new TelemetryStage(attribution),
            new EnergyStage(attribution, options.Attribution, () => summary.Idle),
            new GradeStage(new GraderSet(registries)),
            new CostStage(options.Pricing, summary.ModelShape = Costs.ModelShapes.Resolve(options.ModelConfig, info)),
        ]);
        summary.ActiveEnergy.Pricing = options.Pricing;
        var load = new LoadDriver(new LoadParts(options, client, dataset, session, energy, gate, resume?.Done, workers, launched, replays, agent),
            new RecordPipeline(assembler, new QueryWindows(session, energy, attribution.EnergyMetrics), run, summary, observer), publisher, observer);
        var status = "completed";
        Exception? failure = null;
        var summaryWritten = false;
        try
        {
            if (energy is not null && options.Baseline > TimeSpan.Zero)
            {
                observer.OnPhase("measuring idle power before the run");
                summary.IdleBefore = await IdleBaseline.MeasureAsync(energy, "before", options.Baseline, () => session.SampleNow(),
                    options.SampleInterval, stop).ConfigureAwait(false);
            }
            await PluginCalls.WarmUpAsync(client, dataset, options, observer, stop, abort).ConfigureAwait(false);
            await PluginCalls.BeginMeasurementAsync(client).ConfigureAwait(false);
            status = await load.RunAsync(stop, abort).ConfigureAwait(false);
            if (energy is not null && options.Baseline > TimeSpan.Zero && status is ("completed" or "aborted") && !stop.IsCancellationRequested)
            {
                observer.OnPhase("measuring idle power after the run");
                summary.IdleAfter = await IdleBaseline.MeasureAsync(energy, "after", options.Baseline, () => session.SampleNow(),
                    options.SampleInterval, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            status = "interrupted";
        }
        catch (Exception e) when (e is not UserError)
        {
            status = "failed";
            summary.Failure = e is IOException io ? StorageError.Describe(io, run.Path) : $"{e.GetType().Name}: {e.Message}";
            failure = e;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(runStart);
            session.Dispose();
            if (energy is not null)
            {
                // Every record's final energy, against the baselines before and after the run (and, fitted, the run's
                // own power model); the data file's rows get it as the store compacts them, now.
                summary.Totals.FinaliseEnergy(summary.ActiveEnergy.Close(summary.Idle, energy), summary.ActiveEnergy.Flags);
                run.FinaliseRecords(summary.ActiveEnergy.Rewrite);
                run.Close();
                // Intelligence per joule, conversations' and agent tasks' energy from the records as they now stand.
                if (summary.ActiveEnergy.Fitted is not null && run.Failure is null) summary.Totals.RereadFinalRecords(run.DataPath);
            }
            if (failure is null && run.Failure is { } late)
            {
                status = "failed";
                // Compaction found no room: the files stay as appended, whole; the records keep their live energy.
                summary.Failure = StorageError.Describe(late, run.Path) + " while compacting the run's files (they stay whole, as appended)";
                failure = late;
            }
            summary.ClientReport = await PluginCalls.ClientReportAsync(client).ConfigureAwait(false);
            if (launched is not null) summary.Launch = await launched.StopAsync().ConfigureAwait(false);
            summaryWritten = TryPublish(publisher, status, elapsed, failure is not null);
        }
        if (failure is IOException stored)
            throw new StorageError($"{StorageError.Describe(stored, run.Path)}: the {run.RecordsWritten} records written are kept" +
                (summaryWritten ? $"; `ipw profile --resume {run.Path}` finishes the run once there is room"
                    : $"; summary.json could not be written: `ipw repair {run.Path}` rebuilds it once there is room"), stored);
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);

        var outcome = new ProfileOutcome(run.Path, status, summary.Totals.Queries, summary.Totals.Errors, summary.Totals.OutputTokens, Stopwatch.GetElapsedTime(runStart))
        {
            Model = info.Model,
            Failure = summary.Failure,
        };
        observer.OnFinished(outcome);
        return outcome;
    }

    /// <summary>Writes the final summary; after a failure, a summary that cannot be written either (the disk is full) is
    /// left to <c>ipw repair</c> rather than hiding the failure that came first.</summary>
    private static bool TryPublish(SummaryPublisher publisher, string status, TimeSpan elapsed, bool failed)
    {
        try
        {
            publisher.Publish(status, elapsed);
            return true;
        }
        catch (IOException) when (failed)
        {
            return false;
        }
    }

    /// <summary>The hardware label a run with these options would get (probes the telemetry sources, then releases them).</summary>
    public static HardwareInfo DetectHardware(PluginRegistries registries, ProfileOptions options)
    {
        using var session = new TelemetrySession(TelemetrySources.Create(registries, options.TelemetrySources, options.TelemetryOptions), options.SampleInterval, start: false);
        return HardwareInfo.Detect(GpuNames(session));
    }

    /// <summary>Model names of the GPUs whose telemetry counts, as the backends reported them.</summary>
    private static List<string> GpuNames(TelemetrySession session) =>
        session.Reports.Where(r => r.Available).SelectMany(r => r.Devices)
            .Where(d => d.Kind == "gpu" && d.Model is not null)
            .OrderBy(d => d.Id, StringComparer.Ordinal).Select(d => d.Model!).ToList();
}
