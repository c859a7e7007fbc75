namespace Ipw.Core.Summary;

/// <summary>What load was asked, what was achieved, and how the harness itself did.</summary>
public sealed record LoadSection
{
    public string? Mode { get; init; }
    public int? Concurrency { get; init; }
    /// <summary>Requests per second asked; "inf" in the file for every request at once.</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(RateJsonConverter))]
    public double? RatePerS { get; init; }
    public string? Arrival { get; init; }
    /// <summary>The gamma shape of the gaps (<c>--burstiness</c>); null when not given.</summary>
    public double? Burstiness { get; init; }
    public double? DurationS { get; init; }
    public int? PlannedQueries { get; init; }
    public int Sent { get; init; }
    public double MeasuredSpanS { get; init; }
    public double? AchievedRatePerS { get; init; }
    public double? CompletedPerS { get; init; }
    public int MaxInFlight { get; init; }
    public int Pauses { get; init; }
    public double PausedS { get; init; }
    public DistributionSummary? SendLagS { get; init; }
    public DistributionSummary? ClientQueueS { get; init; }
    public HarnessSection? Harness { get; init; }
    /// <summary>The worker processes that sent the queries (<c>--workers</c>), each with its own send lag and cost; null
    /// when this process sent them.</summary>
    public List<WorkerSection>? Workers { get; init; }
    /// <summary>Where the harness, not the service, may have limited the load.</summary>
    public List<string> Warnings { get; init; } = [];
}

/// <summary>The ipw process's own CPU, GC and allocation over the measured span.</summary>
public sealed record HarnessSection
{
    public double ProcessCpuS { get; init; }
    public double? ProcessCpuCores { get; init; }
    public double? MaxDispatchBlockS { get; init; }
    public int LogicalCores { get; init; }
    public int GcCollections { get; init; }
    public double GcPauseS { get; init; }
    public long? AllocatedBytesPerQuery { get; init; }
    public string? Note { get; init; }
}

/// <summary>One worker process of a run with <c>--workers</c>: what it sent, how late, and what it cost.</summary>
public sealed record WorkerSection
{
    public int Worker { get; init; }
    public int Sent { get; init; }
    public DistributionSummary? SendLagS { get; init; }
    /// <summary>Orders it never sent because it went away.</summary>
    public int Lost { get; init; }
    /// <summary>Why it went away before the end; null when it finished.</summary>
    public string? Exit { get; init; }
    /// <summary>How far its clock's mapping onto the coordinator's may be off, s (0: the same clock, a worker this
    /// machine started).</summary>
    public double ClockUncertaintyS { get; init; }
    public double? ProcessCpuS { get; init; }
    public double? ProcessCpuCores { get; init; }
    public int? GcCollections { get; init; }
    public double? GcPauseS { get; init; }
    public long? AllocatedBytesPerQuery { get; init; }
    public double? MaxDispatchBlockS { get; init; }
}
