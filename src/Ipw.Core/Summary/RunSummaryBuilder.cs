using System.Runtime.InteropServices;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;
using Ipw.Core.Profiling;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Summary;

/// <summary>Renders a <see cref="RunSummary"/> from the run's facts and its state so far; written every few seconds while
/// the run goes on and once at its end.</summary>
internal sealed class RunSummaryBuilder(RunFacts facts, TelemetrySession session, TelemetryMap map, EnergyAttributor? energy, SummaryState state)
{
    private readonly EnergySectionBuilder _energy = new(facts.Options.Attribution, facts.Options.PrefillWeight, facts.Options.Baseline > TimeSpan.Zero,
        map, session.Metrics);

    public RunSummary Build(string status, long recordsOnDisk, TimeSpan elapsed)
    {
        var (o, info, hardware) = (facts.Options, facts.Info, facts.Hardware);
        var now = DateTimeOffset.UtcNow.ToString("O");
        return new RunSummary
        {
            SchemaVersion = RunSummary.CurrentSchema,
            IpwVersion = Profiler.IpwVersion,
            Status = status,
            Failure = state.Failure,
            StartedAt = facts.WallStart.ToString("O"),
            UpdatedAt = now,
            EndedAt = status == "running" ? null : now,
            DurationS = elapsed.TotalSeconds,
            Config = Config(o),
            Model = new ModelSection(info.Model, info.Details.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value)),
            Server = info.Server is { Count: > 0 } server ? new SortedDictionary<string, string>(server.ToDictionary(), StringComparer.Ordinal) : null,
            Client = new ClientSection(facts.ClientEntry.Name, facts.ClientEntry.Plugin.Name, facts.ClientEntry.Plugin.Version, state.ClientReport),
            Dataset = new DatasetSection(facts.DatasetEntry.Name, facts.Dataset.Identity, facts.Dataset.Count, facts.DatasetEntry.Plugin.Name),
            Hardware = new HardwareSection(hardware.Label, hardware.CpuModel, hardware.LogicalCores, hardware.MemoryTotalBytes, [.. hardware.Gpus], hardware.Os, hardware.Architecture),
            Software = new SoftwareSection(Profiler.IpwVersion, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription,
                facts.Registries.Loaded.Select(p => new PluginVersion(p.Name, p.Version)).ToList()),
            Counts = state.Totals.Counts(recordsOnDisk),
            Totals = state.Totals.Totals(o.Pricing, state.ModelShape, state.RunSpanS),
            Serving = state.Totals.Serving.ToSection(o.Percentiles, state.RunSpanS) with
            {
                RequestRate = o.Rate,
                Burstiness = o.Burstiness,
                MaxConcurrency = o.Rate is null ? o.Concurrency : null,
            },
            Load = state.Load,
            Energy = ResumedEnergy.Combine(_energy.Build(energy, state.Totals, state.Idle, state.ActiveEnergy, state.MeasuredSpanS),
                state.Prior, state.Totals.OutputTokens),
            Intelligence = state.Totals.Intelligence.ToSection(map.EnergyMissingReason),
            Telemetry = Telemetry(),
            Launch = state.Launch,
            Runner = new RunnerSection(Environment.ProcessId, Environment.MachineName),
            Resumes = state.Prior?.Resumes,
        };
    }

    private static RunConfig Config(ProfileOptions o) => new()
    {
        Client = o.Client,
        Model = o.Model,
        ClientBaseUrl = o.BaseUrl is null ? null : Ipw.Abstractions.UrlText.WithoutUserInfo(o.BaseUrl), // credentials never written
        Launch = o.Launch is null ? null : Serving.LaunchedServer.Redacted(o.Launch),
        // Secret settings (headers, keys, tokens): record that they were set, never what they were.
        ClientSettings = o.ClientSettings.ToDictionary(p => p.Key,
            p => RunConfig.IsSecret(p.Key) ? RunConfig.ValueNotRecorded : p.Value),
        Dataset = o.Dataset,
        Agent = o.Agent,
        AgentSettings = o.Agent is null ? null : o.AgentSettings.ToDictionary(p => p.Key, p => RunConfig.IsSecret(p.Key) ? RunConfig.ValueNotRecorded : p.Value),
        DatasetPath = o.DatasetPath,
        DatasetSettings = o.DatasetSettings.Count > 0 ? o.DatasetSettings.ToDictionary(StringComparer.Ordinal) : null,
        MaxQueries = o.MaxQueries,
        MaxErrors = o.MaxErrors,
        MaxErrorRate = o.MaxErrorRate,
        MaxTokens = o.MaxTokens,
        Temperature = o.Temperature,
        Seed = o.Seed,
        Warmup = o.Warmup,
        LoadMode = o.LoadMode,
        Concurrency = o.Concurrency,
        RatePerS = o.Rate,
        Arrival = o.ArrivalName,
        Burstiness = o.Burstiness,
        DurationS = o.Duration?.TotalSeconds,
        TurnGap = o.TurnGap == Load.ThinkTime.None ? null : o.TurnGap.ToString(),
        Pricing = o.Pricing,
        Workers = o.Workers > 1 || o.WorkersListen is not null ? o.Workers : null,
        Percentiles = [.. o.Percentiles],
        SloMs = o.Slo?.Milliseconds(),
        BaselineS = o.Baseline.TotalSeconds,
        Attribution = o.Attribution.ToString().ToLowerInvariant(),
        PrefillWeight = o.Attribution == AttributionMethod.Phase ? o.PrefillWeight : null,
        SampleIntervalS = o.SampleInterval.TotalSeconds,
        FrontEnd = o.FrontEnd,
        KeepText = o.KeepText ? null : false,
        Label = o.Label,
        Tags = o.Tags.Count > 0 ? o.Tags.ToDictionary(StringComparer.Ordinal) : null,
    };

    private TelemetrySection Telemetry() => new()
    {
        IntervalS = session.Interval.TotalSeconds,
        Samples = session.SampleCount,
        MaxReadLatencyS = session.MaxReadLatency.TotalSeconds,
        PowerMissingReason = map.PowerMissingReason,
        TemperatureMissingReason = map.TemperatureMissingReason,
        Sources = session.Reports.Select(r => new SourceSection
        {
            Name = r.Name,
            Available = r.Available,
            Reason = r.Reason,
            Method = r.Method,
            Details = new SortedDictionary<string, string>(r.Details.ToDictionary(), StringComparer.Ordinal),
            Metrics = r.Metrics.Select(m => new MetricSection(m.Name, m.Device, m.Kind.ToString().ToLowerInvariant(), m.Unit)).ToList(),
            Missing = r.Missing.Select(m => new MissingSection(m.Kind.ToString().ToLowerInvariant(), m.Reason)).ToList(),
            Notes = [.. session.Notes(r.Name)],
        }).ToList(),
    };
}
