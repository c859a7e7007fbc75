using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ipw.Core.Summary;

/// <summary>
/// summary.json, typed: what a run was asked to do, what it ran on, and its totals. Written by the run store through
/// <see cref="SummaryJson"/>, and read back the same way by every reader (analyze, plot, score, the monitor, scripts).
/// A value that was not measured is null, never 0. Runs written before <see cref="SchemaVersion"/> existed load too
/// (their version reads as 0); keys this version does not know are kept in <see cref="Extra"/> and written back.
/// </summary>
public sealed record RunSummary
{
    /// <summary>The summary layout this ipw writes.</summary>
    public const int CurrentSchema = 1;

    public int SchemaVersion { get; init; }
    public string IpwVersion { get; init; } = "";
    /// <summary>"running", "completed", "interrupted", "aborted" or "failed".</summary>
    public string Status { get; init; } = "unknown";
    public string? Failure { get; init; }
    public string? StartedAt { get; init; }
    public string? UpdatedAt { get; init; }
    public string? EndedAt { get; init; }
    public double? DurationS { get; init; }
    public RunConfig? Config { get; init; }
    public ModelSection? Model { get; init; }
    /// <summary>What served the run, as the service says of itself (version, build, model facts, system fingerprint).</summary>
    public SortedDictionary<string, string>? Server { get; init; }
    public ClientSection? Client { get; init; }
    public DatasetSection? Dataset { get; init; }
    public HardwareSection? Hardware { get; init; }
    public SoftwareSection? Software { get; init; }
    public CountsSection? Counts { get; init; }
    public TotalsSection? Totals { get; init; }
    public ServingSection? Serving { get; init; }
    public LoadSection? Load { get; init; }
    public EnergySection? Energy { get; init; }
    public IntelligenceSection? Intelligence { get; init; }
    public TelemetrySection? Telemetry { get; init; }
    /// <summary>The server the run started for itself (<c>--launch</c>): its command, its start-up's time and energy
    /// (measured apart from the queries), how it ended; null when the run used a server that was already running.</summary>
    public LaunchSection? Launch { get; init; }
    /// <summary>The process writing the run (while it is "running", whether it is still alive can be checked).</summary>
    public RunnerSection? Runner { get; init; }
    /// <summary>Set by <c>ipw repair</c>: the summary was rebuilt from the records after the run was cut short.</summary>
    public RepairSection? Repair { get; init; }
    /// <summary>Set by <c>ipw profile --resume</c>: each time the run was resumed, what it kept and what came before.</summary>
    public List<ResumeSection>? Resumes { get; init; }

    /// <summary>Keys this version does not know (a newer ipw's, a user's), kept as they were.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>The options the run was given.</summary>
public sealed record RunConfig
{
    /// <summary>What a secret setting's value is written as (see <see cref="IsSecret"/>).</summary>
    public const string ValueNotRecorded = "(set, value not recorded)";

    /// <summary>Whether a key=value setting may hold a credential, so its value is never written (summary.json,
    /// config.toml): a header (<c>header.NAME</c>), or a key with a word secret, password, token or apikey, or api then
    /// key (<c>auth_token</c>, <c>api-key</c>; not <c>max_tokens</c>).</summary>
    public static bool IsSecret(string key)
    {
        if (key.StartsWith("header.", StringComparison.OrdinalIgnoreCase)) return true;
        var words = key.ToLowerInvariant().Split(['.', '_', '-'], StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < words.Length; i++)
        {
            if (words[i] is "secret" or "password" or "token" or "apikey") return true;
            if (words[i] == "api" && i + 1 < words.Length && words[i + 1] == "key") return true;
        }
        return false;
    }

    public string? Client { get; init; }
    public string? Model { get; init; }
    public string? ClientBaseUrl { get; init; }
    /// <summary>The server command the run launched (<c>--launch</c>), secret option values left out.</summary>
    public string? Launch { get; init; }
    /// <summary>Header values are recorded as set, never their values.</summary>
    public Dictionary<string, string>? ClientSettings { get; init; }
    public string? Dataset { get; init; }
    /// <summary>The agent that answered each item (<c>--agent</c>) and its settings; null when none.</summary>
    public string? Agent { get; init; }
    public Dictionary<string, string>? AgentSettings { get; init; }
    public string? DatasetPath { get; init; }
    /// <summary>The dataset's settings (<c>--dataset-option</c>), so the run can be resumed on the same items.</summary>
    public Dictionary<string, string>? DatasetSettings { get; init; }
    public int? MaxQueries { get; init; }
    public int? MaxErrors { get; init; }
    public double? MaxErrorRate { get; init; }
    public int? MaxTokens { get; init; }
    public double? Temperature { get; init; }
    public int? Seed { get; init; }
    public int? Warmup { get; init; }
    /// <summary>"sequential", "closed" or "open".</summary>
    public string? LoadMode { get; init; }
    public int? Concurrency { get; init; }
    /// <summary>Requests per second; "inf" in the file for every request at once.</summary>
    [JsonConverter(typeof(RateJsonConverter))]
    public double? RatePerS { get; init; }
    public string? Arrival { get; init; }
    /// <summary>The gamma shape of open-loop gaps (<c>--burstiness</c>); null when not given.</summary>
    public double? Burstiness { get; init; }
    public double? DurationS { get; init; }
    /// <summary>The pause between a replayed conversation's turns (<c>--turn-gap</c>); null when none.</summary>
    public string? TurnGap { get; init; }
    /// <summary>The prices and carbon intensity queries were costed at (<c>--energy-price</c> per kWh, <c>--carbon</c> in
    /// g/kWh, <c>--price-in</c>/<c>--price-out</c> per million tokens); null when none was given.</summary>
    public Costs.Pricing? Pricing { get; init; }
    /// <summary>Worker processes that sent the queries (<c>--workers</c>; null: this process).</summary>
    public int? Workers { get; init; }
    /// <summary>The percentiles the serving section reports (<c>--percentiles</c>).</summary>
    public List<double>? Percentiles { get; init; }
    /// <summary>The service-level objectives for goodput (<c>--slo</c>), ms, under vLLM's names (ttft, tpot, e2el).</summary>
    public Dictionary<string, double>? SloMs { get; init; }
    public double? BaselineS { get; init; }
    public string? Attribution { get; init; }
    public double? PrefillWeight { get; init; }
    public double? SampleIntervalS { get; init; }
    public string? FrontEnd { get; init; }
    /// <summary>False when the records hold no prompt, response or reasoning text (<c>--keep-text false</c>); null when
    /// they do.</summary>
    public bool? KeepText { get; init; }
    /// <summary>The run's name (<c>--label</c>); null when none was given.</summary>
    public string? Label { get; init; }
    /// <summary>The run's tags (<c>--tag key=value</c>); null when none were given.</summary>
    public Dictionary<string, string>? Tags { get; init; }
}

/// <summary>The process that wrote the run: its id and machine name.</summary>
public sealed record RunnerSection(int Pid, string Host);

/// <summary>A server started by the run (<c>ipw profile --launch</c>). <paramref name="Command"/> is as given, but for the
/// values of secret-named options. <see cref="ReadyS"/>: from the launch until the client found it ready (null: it never
/// was); <see cref="StartEnergyJ"/>: the energy of that window, from the same counters as the run's (null, with
/// <see cref="EnergyMissing"/> saying why, when none was read); <see cref="Ended"/>: "stopped by ipw" or "exited by itself".</summary>
public sealed record LaunchSection(string Command, int Pid)
{
    public double? ReadyS { get; init; }
    public double? StartEnergyJ { get; init; }
    public string? EnergySource { get; init; }
    public string? EnergyMissing { get; init; }
    /// <summary>The server's output, in the run folder.</summary>
    public string? Log { get; init; }
    public int? ExitCode { get; init; }
    public string? Ended { get; init; }
}

/// <summary>What <c>ipw repair</c> did: when, the records kept, the bytes of a torn last batch cut from the data file and
/// from telemetry.arrow. The inter-token latencies pooled over gaps are not in the data file, so a repaired summary's
/// ITL is missing.</summary>
public sealed record RepairSection(string At, long RecordsKept, long DataBytesCut, long TelemetryBytesCut);

/// <summary>One resumption (<c>ipw profile --resume</c>): when, the records kept from before it, the cancelled records
/// dropped (their items were sent again), how the earlier part had ended, its duration and measured span, and its energy as
/// its summary last gave it (gross and active, J; null where it had none). The run's clock continues from the earlier
/// part's duration: the time between the parts is in no window.</summary>
public sealed record ResumeSection(string At, long RecordsKept, long CancelledDropped, string PriorStatus, double PriorDurationS, double? PriorMeasuredSpanS)
{
    public double? PriorGrossJ { get; init; }
    public double? PriorActiveJ { get; init; }
}

public sealed record ModelSection(string? Label, Dictionary<string, string>? Details);

public sealed record ClientSection(string? Name, string? Plugin, string? PluginVersion, Dictionary<string, JsonElement>? Report);

public sealed record DatasetSection(string? Name, string? Identity, int? Items, string? Plugin);

public sealed record HardwareSection(string? Label, string? Cpu, int? LogicalCores, long? MemoryTotalBytes, List<string>? Gpus, string? Os, string? Architecture);

public sealed record PluginVersion(string Name, string Version);

public sealed record SoftwareSection(string? Ipw, string? Dotnet, string? Os, List<PluginVersion>? Plugins);

/// <summary>The run's queries by outcome. <see cref="Retried"/>: queries sent more than once (a user's retries or a
/// reconnection); <see cref="Reconnected"/>: those sent again because their first connection was stale (null in runs
/// written before these were counted).</summary>
public sealed record CountsSection(int Queries, long RecordsOnDisk, int Ok, int Errors, Dictionary<string, int>? ErrorsByClass)
{
    public int? Retried { get; init; }
    public int? Reconnected { get; init; }
}

/// <summary>count, mean, p50, p90, p99 and max of a quantity; null in a section when nothing was recorded.</summary>
public sealed record DistributionSummary(long Count, double? Mean, double? P50, double? P90, double? P99, double? Max);

public sealed record TotalsSection
{
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long QueriesMissingInputTokens { get; init; }
    public long QueriesMissingOutputTokens { get; init; }
    public double SumE2eLatencyS { get; init; }
    public double ProcessCpuS { get; init; }
    public double? OutputTokensPerS { get; init; }
    public double? MeanE2eLatencyS { get; init; }
    public double? MeanTtftS { get; init; }
    public double? MeanDecodeTokensPerS { get; init; }
    public DistributionSummary? E2eLatencyS { get; init; }
    public DistributionSummary? TtftS { get; init; }
    /// <summary>The server's own timings beside the client's; null when the server reports none.</summary>
    public ServerTimingsSection? ServerTimings { get; init; }
    /// <summary>Replayed conversations (<c>turns=all</c>), turn by turn; null when the run sent single queries.</summary>
    public ConversationsSection? Conversations { get; init; }
    /// <summary>Tasks answered by an agent (<c>--agent</c>); null when no agent ran.</summary>
    public AgentSection? Agent { get; init; }
    /// <summary>What the queries cost and emitted at the run's prices (<c>config.pricing</c>); null when none was given.</summary>
    public CostSection? Cost { get; init; }
    /// <summary>The queries' FLOPs from the model's shape; null when no shape was found (a served model without
    /// <c>--model-config</c>).</summary>
    public FlopsSection? Flops { get; init; }
}

/// <summary>The queries' FLOPs (<see cref="Ipw.Abstractions.Models.ModelShape"/>'s count): totals when every query has
/// them, the mean per query, joules per TFLOP (the queries' attributed energy over their FLOPs) and the FLOP/s achieved
/// over the run's measured span.</summary>
public sealed record FlopsSection
{
    public string Source { get; init; } = "";
    public double? PrefillTotal { get; init; }
    public double? DecodeTotal { get; init; }
    public double? Total { get; init; }
    public double? MeanPerQuery { get; init; }
    public int QueriesMissingFlops { get; init; }
    public double? JoulesPerTflop { get; init; }
    public double? AchievedFlopsPerS { get; init; }
}

/// <summary>The queries' cost and CO2e: totals only when every query has one, means over those that have one, and how many
/// lack one (a priced part not measured: no energy, or a token count unknown).</summary>
public sealed record CostSection
{
    public double? TotalUsd { get; init; }
    public double? MeanUsdPerQuery { get; init; }
    public int QueriesMissingCost { get; init; }
    public double? TotalCo2eG { get; init; }
    public double? MeanCo2eGPerQuery { get; init; }
    public int QueriesMissingCo2e { get; init; }
}

/// <summary>An agent's tasks: how many, their mean model and tool calls, and the share of the steps' time and of the
/// tasks' energy spent in tools (the energy share from each task's step shares and its energy as recorded; null without
/// energy).</summary>
public sealed record AgentSection(int Tasks, double MeanModelSteps, double MeanToolSteps, double? ToolTimeShare, double? ToolEnergyShare)
{
    /// <summary>Model and tool calls per task.</summary>
    public double MeanSteps { get; init; }

    /// <summary>Joules per task (its steps' summed); null when a task lacks energy.</summary>
    public double? MeanEnergyPerTaskJ { get; init; }

    /// <summary>The share of graded tasks answered right, and that over the mean energy per graded task (1/J): the
    /// intelligence section's figures with the task as the unit.</summary>
    public double? Accuracy { get; init; }

    /// <inheritdoc cref="Accuracy"/>
    public double? IntelligencePerJoule { get; init; }
}

/// <summary>Replayed conversations: how many, how many turns each on average, each turn's figures (the context grows
/// with every turn: its input tokens and TTFT show what that costs), and the complete conversations taken whole
/// (<see cref="Ipw.Abstractions.ConversationTotal"/>): their energy and duration, the share right (every graded turn
/// right) and intelligence per joule with the conversation as the unit (that share over the mean energy per graded
/// conversation).</summary>
public sealed record ConversationsSection(int Conversations, int Queries, double MeanTurns, List<TurnSection> ByTurn)
{
    /// <summary>Conversations whose every turn was sent and answered.</summary>
    public int Complete { get; init; }

    /// <summary>Energy per complete conversation, J; null when any of them lacks energy.</summary>
    public DistributionSummary? EnergyJ { get; init; }

    /// <summary>Duration per complete conversation, s: first send to last answer, think time included.</summary>
    public DistributionSummary? DurationS { get; init; }

    /// <summary>Of the complete conversations with a graded turn, the share with every graded turn right.</summary>
    public double? Accuracy { get; init; }

    /// <summary>Accuracy per conversation over mean energy per graded conversation, 1/J.</summary>
    public double? IntelligencePerJoule { get; init; }
}

/// <summary>One turn position across the conversations: its queries, those that succeeded, their mean input tokens, and
/// TTFT, end-to-end latency and energy distributions (energy null unless every successful turn has one).</summary>
public sealed record TurnSection(int Turn, int Queries, int Ok, double? MeanInputTokens, DistributionSummary? TtftS, DistributionSummary? E2eLatencyS,
    DistributionSummary? EnergyJ);
