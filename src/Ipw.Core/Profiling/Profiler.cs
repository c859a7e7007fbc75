using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Hardware;
using Ipw.Core.Plugins;
using Ipw.Core.Runs;
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
    public async Task<ProfileOutcome> RunAsync(ProfileOptions options, IProfileObserver? observer = null,
        CancellationToken stop = default, CancellationToken abort = default)
    {
        observer ??= new CompositeObserver([]);
        Validate(options);
        var clientEntry = registries.Clients.Resolve(options.Client);
        var datasetEntry = registries.Datasets.Resolve(options.Dataset);
        var dataset = CreateDataset(datasetEntry, options);

        // Check the output folder before the (possibly slow) model load.
        var outputRoot = RunFolder.EnsureWritable(options.OutputDir);

        await using var client = CreateClient(clientEntry, options);
        ClientInfo info;
        try
        {
            info = await client.PrepareAsync(abort).ConfigureAwait(false);
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"{options.Client}: {e.Message}");
        }

        // Probe the telemetry first: the run folder is named after the GPUs the backends found, if any.
        using var session = new TelemetrySession(TelemetrySources.Create(registries, options.TelemetrySources), options.SampleInterval, start: false);
        var hardware = HardwareInfo.Detect(GpuNames(session));
        using var run = RunFolder.Create(outputRoot, hardware.Label, info.Model);
        var runStart = Stopwatch.GetTimestamp();
        var wallStart = DateTimeOffset.UtcNow;
        session.Start(run.CreateTelemetrySink(runStart));
        var attribution = new TelemetryAttribution(session);
        var total = options.MaxQueries is { } max ? Math.Min(max, dataset.Count ?? max) : dataset.Count;

        var summary = new SummaryState(options, info, clientEntry, datasetEntry, dataset, hardware, registries, session, attribution, wallStart);
        run.WriteSummary(summary.ToJson("running", run.RecordsWritten, Stopwatch.GetElapsedTime(runStart)));
        observer.OnStarted(new ProfileStarted(run.Path, options.Client, info.Model, dataset.Identity, total, hardware.Label,
            session.Reports, attribution.EnergyMissingReason is null ? $"energy from {attribution.EnergySource}" : attribution.EnergyMissingReason));

        var status = "completed";
        try
        {
            await WarmUpAsync(client, dataset, options, observer, stop, abort).ConfigureAwait(false);

            var index = 0;
            var errors = 0;
            long outputTokens = 0;
            var measureStart = Stopwatch.GetTimestamp();
            var lastSummary = measureStart;
            foreach (var item in dataset.Items(abort))
            {
                if (total is { } t && index >= t) break;
                if (stop.IsCancellationRequested) { status = "interrupted"; break; }

                var record = await MeasureAsync(client, session, attribution, item, index, options, info, runStart, wallStart, abort)
                    .ConfigureAwait(false);
                run.Append(record);
                summary.Add(record);
                index++;
                if (record.Status != "ok") errors++;
                outputTokens += record.OutputTokens ?? 0;
                observer.OnQueryCompleted(record, new ProfileProgress(index, total, errors, outputTokens, Stopwatch.GetElapsedTime(measureStart)));

                if (record.Status == "cancelled") { status = "interrupted"; break; }
                if (TooManyErrors(options, index, errors))
                {
                    status = "aborted";
                    summary.Failure = $"stopped by --max-errors after {errors} failed of {index} queries";
                    break;
                }
                if (Stopwatch.GetElapsedTime(lastSummary) >= options.SummaryInterval)
                {
                    run.WriteSummary(summary.ToJson("running", run.RecordsWritten, Stopwatch.GetElapsedTime(runStart)));
                    lastSummary = Stopwatch.GetTimestamp();
                }
            }
            if (abort.IsCancellationRequested) status = "interrupted";
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            status = "interrupted";
        }
        catch (Exception e) when (e is not UserError)
        {
            status = "failed";
            summary.Failure = $"{e.GetType().Name}: {e.Message}";
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(runStart);
            session.Dispose();
            summary.ClientReport = await ClientReportAsync(client).ConfigureAwait(false);
            run.WriteSummary(summary.ToJson(status, run.RecordsWritten, elapsed));
        }

        var outcome = new ProfileOutcome(run.Path, status, summary.Queries, summary.Errors, summary.OutputTokens, Stopwatch.GetElapsedTime(runStart));
        observer.OnFinished(outcome);
        return outcome;
    }

    /// <summary>Names of the GPUs whose telemetry counts, as the backends reported them (details "gpuN_name").</summary>
    private static List<string> GpuNames(TelemetrySession session) =>
        session.Reports.Where(r => r.Available)
            .SelectMany(r => r.Details.Where(d => d.Key.StartsWith("gpu", StringComparison.Ordinal) && d.Key.EndsWith("_name", StringComparison.Ordinal)))
            .OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => d.Value).ToList();

    private static bool TooManyErrors(ProfileOptions o, int done, int errors) =>
        (o.MaxErrors is { } max && errors >= max) || (o.MaxErrorRate is { } rate && done >= 10 && errors > rate * done);

    /// <summary>What the client reports after the run (e.g. server metrics); a failure here never loses the run.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> ClientReportAsync(IInferenceClient client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await client.FinishAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return new Dictionary<string, string> { ["error"] = System.Text.Json.JsonSerializer.Serialize($"{e.GetType().Name}: {e.Message}") };
        }
    }

    private static void Validate(ProfileOptions o)
    {
        if (o.MaxQueries is < 1) throw new UserError($"--max-queries must be at least 1, got {o.MaxQueries}");
        if (o.MaxTokens < 1) throw new UserError($"--max-tokens must be at least 1, got {o.MaxTokens}");
        if (o.Temperature is < 0 or > 10 || double.IsNaN(o.Temperature)) throw new UserError($"--temperature must be between 0 and 10, got {o.Temperature}");
        if (o.Warmup < 0) throw new UserError($"--warmup must be 0 or more, got {o.Warmup}");
        if (o.SampleInterval <= TimeSpan.Zero || o.SampleInterval > TimeSpan.FromSeconds(10))
            throw new UserError($"--sample-interval must be between 0 and 10 seconds, got {o.SampleInterval.TotalSeconds}");
    }

    private static IDataset CreateDataset(RegisteredEntry<DatasetDescriptor> entry, ProfileOptions options)
    {
        try
        {
            return entry.Descriptor.Create(new DatasetOptions(options.DatasetPath, options.DatasetSettings));
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"dataset '{entry.Name}': {e.Message}");
        }
    }

    private static IInferenceClient CreateClient(RegisteredEntry<ClientDescriptor> entry, ProfileOptions options)
    {
        try
        {
            return entry.Descriptor.Create(new ClientOptions(options.Model, options.BaseUrl, options.ClientSettings));
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"{entry.Name}: {e.Message}");
        }
    }

    private static async Task WarmUpAsync(IInferenceClient client, IDataset dataset, ProfileOptions options, IProfileObserver observer,
        CancellationToken stop, CancellationToken abort)
    {
        if (options.Warmup == 0) return;
        var done = 0;
        foreach (var item in dataset.Items(abort))
        {
            if (done >= options.Warmup || stop.IsCancellationRequested) break;
            await client.SendAsync(new InferenceRequest($"warmup-{done}", item.Messages,
                new GenerationParameters(options.MaxTokens, options.Temperature, options.Seed - 1 - done)), abort).ConfigureAwait(false);
            observer.OnWarmup(++done, options.Warmup);
        }
    }

    private static async Task<QueryRecord> MeasureAsync(IInferenceClient client, TelemetrySession session, TelemetryAttribution attribution,
        WorkloadItem item, int index, ProfileOptions options, ClientInfo info, long runStart, DateTimeOffset wallStart, CancellationToken abort)
    {
        var request = new InferenceRequest(item.Id, item.Messages,
            new GenerationParameters(options.MaxTokens, options.Temperature, unchecked(options.Seed + index)));
        var windowStart = session.OpenWindow();
        InferenceResult result;
        try
        {
            result = await client.SendAsync(request, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            result = new InferenceResult(windowStart, now, [], "", null, null, new Dictionary<string, double>(), null,
                new ClientError(ErrorClass.Cancelled, "cancelled"));
        }
        catch (Exception e)
        {
            // A client bug must not end the run: record it as this query's error and carry on.
            var now = Stopwatch.GetTimestamp();
            result = new InferenceResult(windowStart, now, [], "", null, null, new Dictionary<string, double>(), null,
                new ClientError(ErrorClass.Other, $"{e.GetType().Name}: {e.Message}"));
        }
        var window = session.CloseWindow(windowStart);
        var timing = TimelineMetrics.From(result);

        var record = new QueryRecord
        {
            QueryIndex = index,
            ItemId = item.Id,
            Dataset = options.Dataset,
            Subject = item.Subject,
            Client = options.Client,
            Model = info.Model,
            Prompt = item.Prompt,
            Reference = item.Reference,
            Grader = item.Grader,
            Response = result.Text,
            Reasoning = result.Reasoning,
            Status = result.Error is null ? "ok" : result.Error.Class.ToString().ToLowerInvariant(),
            Error = result.Error?.Message,
            FinishReason = result.FinishReason,
            InputTokens = result.Usage?.InputTokens,
            OutputTokens = result.Usage?.OutputTokens,
            TokenCountSource = result.Usage?.Source,
            StartedAt = (wallStart + Stopwatch.GetElapsedTime(runStart, result.SentAt)).ToString("O", CultureInfo.InvariantCulture),
            SentAtS = Stopwatch.GetElapsedTime(runStart, result.SentAt).TotalSeconds,
            CompletedAtS = Stopwatch.GetElapsedTime(runStart, result.CompletedAt).TotalSeconds,
            TtftS = timing.TtftS,
            E2eLatencyS = timing.E2eS,
            DecodeTokensPerS = timing.DecodeTokensPerS,
            TpotS = timing.TpotS,
            ItlP50S = timing.ItlP50S,
            ItlP99S = timing.ItlP99S,
            ServerPromptEvalS = result.ServerTimings.TryGetValue("prompt_eval", out var pe) ? pe : null,
            ServerEvalS = result.ServerTimings.TryGetValue("eval", out var ev) ? ev : null,
            ServerLoadS = result.ServerTimings.TryGetValue("load", out var ld) ? ld : null,
        };
        attribution.Fill(record, window);
        return record;
    }
}
