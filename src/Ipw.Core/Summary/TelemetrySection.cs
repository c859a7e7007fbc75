namespace Ipw.Core.Summary;

/// <summary>How telemetry was sampled and what each source offered.</summary>
public sealed record TelemetrySection
{
    public double IntervalS { get; init; }
    public long Samples { get; init; }
    public double MaxReadLatencyS { get; init; }
    public string? PowerMissingReason { get; init; }
    public string? TemperatureMissingReason { get; init; }
    public List<SourceSection> Sources { get; init; } = [];
}

public sealed record SourceSection
{
    public string Name { get; init; } = "";
    public bool Available { get; init; }
    public string? Reason { get; init; }
    public string? Method { get; init; }
    public SortedDictionary<string, string>? Details { get; init; }
    public List<MetricSection> Metrics { get; init; } = [];
    public List<MissingSection> Missing { get; init; } = [];
    /// <summary>What the source noticed while sampling (a counter reset, a gap).</summary>
    public List<string> Notes { get; init; } = [];
}

public sealed record MetricSection(string Name, string Device, string Kind, string Unit);

public sealed record MissingSection(string Kind, string Reason);
