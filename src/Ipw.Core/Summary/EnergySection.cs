namespace Ipw.Core.Summary;

/// <summary>The run's energy: how it was measured and attributed, gross and active totals, idle power, per-query
/// statistics and quality flags. Without an energy counter, <see cref="Available"/> is false with the reason and every
/// number is null.</summary>
public sealed record EnergySection
{
    public bool Available { get; init; }
    public string? Reason { get; init; }
    public string? Source { get; init; }
    /// <summary>Per-query energy under concurrency is an estimate.</summary>
    public bool? Estimate { get; init; }
    public string? Method { get; init; }
    public string? Attribution { get; init; }
    public double? CounterUpdateS { get; init; }
    /// <summary>The sum of the queries' energy; null when any query lacks one.</summary>
    public double? TotalJ { get; init; }
    public int QueriesMissingEnergy { get; init; }
    /// <summary>The counters' delta over the measured span.</summary>
    public double? GrossJ { get; init; }
    public List<CounterEnergy>? ByCounter { get; init; }
    /// <summary>Per node, where devices are named node/device (a cluster read through Prometheus).</summary>
    public Dictionary<string, NodeEnergy>? ByNode { get; init; }
    public double? AttributedJ { get; init; }
    public double? UnattributedJ { get; init; }
    public double? UnattributedS { get; init; }
    public double? ConservationErrorJ { get; init; }
    public double? MeasuredSpanS { get; init; }
    public double? AvgPowerW { get; init; }
    public IdleSection? Idle { get; init; }
    public double? ActiveJ { get; init; }
    /// <summary>The idle gaps' active energy: with the queries' it adds up to <see cref="ActiveJ"/>.</summary>
    public double? UnattributedActiveJ { get; init; }
    /// <summary>The uncertainty of <see cref="ActiveJ"/> from the idle baseline's level (J).</summary>
    public double? ActiveJUncertainty { get; init; }
    /// <summary>Whether the records carry their final active energy (against the baselines before and after the run);
    /// false while the run goes on and for a run that never closed.</summary>
    public bool? Finalised { get; init; }
    /// <summary>Under the fitted method, each counter's model: watts per query in prefill and in decode.</summary>
    public List<Energy.FittedCounter>? Fit { get; init; }
    /// <summary>True when some counter's update period could not be learned (judged as the slowest plausible).</summary>
    public bool? PeriodUnknown { get; init; }
    public double? PerQueryActiveJSum { get; init; }
    public double? OutputTokensPerJ { get; init; }
    public double? JPerOutputToken { get; init; }
    public double? ActiveJPerOutputToken { get; init; }
    public double? OutputTokensPerActiveJ { get; init; }
    public DistributionSummary? PerQueryJ { get; init; }
    public DistributionSummary? PerQueryActiveJ { get; init; }
    public Dictionary<string, int>? QualityFlags { get; init; }
}

public sealed record CounterEnergy(string Source, string Device, string Metric, double J, double? AvgPowerW)
{
    /// <summary>This counter's idle power in the windows before and after the run, W (null: not measured).</summary>
    public double? IdleBeforeW { get; init; }
    public double? IdleAfterW { get; init; }
    /// <summary>Its energy above its own idle power over the measured span, J (as the run's active energy).</summary>
    public double? ActiveJ { get; init; }
}

public sealed record NodeEnergy(double J, double? AvgPowerW, List<string> Devices);

/// <summary>Idle power before and after the run (model loaded, no requests).</summary>
public sealed record IdleSection
{
    public bool Measured { get; init; }
    public string? Reason { get; init; }
    /// <summary>The idle power every active energy subtracts.</summary>
    public double? PowerW { get; init; }
    public string? PowerBasis { get; init; }
    public double? MeanBeforeAfterW { get; init; }
    /// <summary>Second-to-second spread of idle power (the windows' bin deviations); null when unknown.</summary>
    public double? SigmaW { get; init; }
    /// <summary>How well the idle power charged is known (<see cref="Energy.IdleSummary.LevelUncertaintyW"/>).</summary>
    public double? LevelUncertaintyW { get; init; }
    public IdleWindow? Before { get; init; }
    public IdleWindow? After { get; init; }
    public double? DriftW { get; init; }
    public double? DriftUncertaintyW { get; init; }
    /// <summary><c>baseline_drift</c>, <c>baseline_few_counter_steps</c>; null when none.</summary>
    public List<string>? Flags { get; init; }
}

/// <param name="SigmaW">The bins' spread; null with one bin.</param>
public sealed record IdleWindow(double PowerW, double? SigmaW, double EnergyJ, double DurationS, int Bins)
{
    public double? StandardErrorW { get; init; }
    /// <summary>Counter steps inside the window (null: counters current at read time).</summary>
    public int? CounterSteps { get; init; }
    public List<string>? Flags { get; init; }
    /// <summary>The idle power counter by counter, in the order of <c>by_counter</c>: they add up to <see cref="PowerW"/>.</summary>
    public List<double>? ByCounterW { get; init; }
}
