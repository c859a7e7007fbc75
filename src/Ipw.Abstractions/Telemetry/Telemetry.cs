namespace Ipw.Abstractions;

/// <summary>What a telemetry metric measures.</summary>
public enum MetricKind
{
    /// <summary>Cumulative energy counter, joules, already unwrapped.</summary>
    Energy,
    /// <summary>Instantaneous power, watts.</summary>
    Power,
    /// <summary>Memory in use, bytes.</summary>
    Memory,
    /// <summary>Temperature, degrees Celsius.</summary>
    Temperature,
    /// <summary>Cumulative CPU time, seconds.</summary>
    CpuTime,
    /// <summary>Utilisation, fraction 0..1.</summary>
    Utilization,
    /// <summary>Clock frequency, MHz.</summary>
    Clock,
}

/// <summary>One metric a source can read.</summary>
/// <param name="Name">Column-safe name, e.g. "process_rss_bytes".</param>
/// <param name="Device">The device it belongs to, e.g. "process", "system", "gpu0".</param>
/// <param name="Kind">What it measures.</param>
/// <param name="Unit">The unit, e.g. "J", "W", "bytes", "s".</param>
public sealed record MetricInfo(string Name, string Device, MetricKind Kind, string Unit)
{
    /// <summary>For a cumulative counter: how often it really changes, where the source learned it (NVML steps about
    /// every 100 ms; a Prometheus series at its scrape interval); null when unknown. Windows shorter than a few
    /// periods rest on interpolation and are flagged.</summary>
    public TimeSpan? UpdatePeriod { get; init; }

    /// <summary>For a cumulative counter that changes in steps whose period the source could not learn (an idle
    /// board, a counter slower than the probe's bound): the measurement treats it as the slowest plausible counter
    /// (<see cref="SlowestPlausiblePeriod"/>) and flags every window shorter than that, instead of taking the counter
    /// as current at read time. False for counters that are current at read time (RAPL) or whose period is known.</summary>
    public bool UpdatePeriodUnknown { get; init; }

    /// <summary>The longest update period an energy counter is taken to have when its own is unknown: NVML documents
    /// no period, boards step every 20–100 ms, and some report at 1 s.</summary>
    public static readonly TimeSpan SlowestPlausiblePeriod = TimeSpan.FromSeconds(1);

    /// <summary>For energy and power: whether this metric adds to the machine's total without overlapping
    /// another (RAPL package and DRAM do; psys contains them and does not). Totals sum only additive metrics.</summary>
    public bool Additive { get; init; } = true;
}

/// <summary>A device a source reads.</summary>
/// <param name="Id">As metrics name it: "gpu0", "cpu0", "node1/gpu0".</param>
/// <param name="Kind">"gpu", "cpu", "dram", "soc", ...</param>
/// <param name="Model">The model name the backend reports, e.g. "NVIDIA H100 80GB HBM3"; null when unknown.</param>
public sealed record DeviceInfo(string Id, string Kind, string? Model);

/// <summary>A metric a source cannot read here, with the reason.</summary>
public sealed record MissingMetric(MetricKind Kind, string Reason);

/// <summary>What a source found when probed.</summary>
/// <param name="Available">True when at least one metric can be read.</param>
/// <param name="Reason">When unavailable, why (and how to fix it where known).</param>
/// <param name="Metrics">The metrics <see cref="ITelemetrySource.Read"/> fills, in order.</param>
/// <param name="Missing">Metrics of this source that cannot be read here, with reasons.</param>
/// <param name="Method">How the values are obtained, e.g. "procfs" or "counter".</param>
public sealed record TelemetryProbe(
    bool Available,
    string? Reason,
    IReadOnlyList<MetricInfo> Metrics,
    IReadOnlyList<MissingMetric> Missing,
    string Method)
{
    /// <summary>Facts worth recording in summary.json (driver versions, which devices were selected and why). Free
    /// text for people: the host reads nothing from it; typed facts go in <see cref="Devices"/> and
    /// <see cref="MetricInfo.UpdatePeriod"/>.</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    /// <summary>The devices whose metrics this source reads, with their model names (the run folder is named after the
    /// GPUs among them).</summary>
    public IReadOnlyList<DeviceInfo> Devices { get; init; } = [];
}

/// <summary>A source of energy, power, memory and temperature readings.</summary>
public interface ITelemetrySource : IDisposable
{
    /// <summary>Finds what can be read here. Called once before sampling starts.</summary>
    TelemetryProbe Probe();

    /// <summary>Reads every metric of the probe into <paramref name="values"/> (same order);
    /// a metric that failed this time is written as NaN. Cheap and synchronous: called at 10–50 Hz.</summary>
    void Read(Span<double> values);
}

/// <summary>
/// Implemented by a source whose cumulative counters publish in steps and can be read alone, cheaply (NVML's energy
/// counter): between full samples the session reads just those every few ms, so each step is placed to within a few ms
/// rather than the sampling interval's tens (a query's energy is cut at its edges between two steps).
/// </summary>
public interface ICounterReads
{
    /// <summary>The indices, into the probe's metrics, of the counters <see cref="ReadCounters"/> fills.</summary>
    IReadOnlyList<int> Counters { get; }

    /// <summary>Reads just those counters into <paramref name="values"/> (indexed as for <see cref="ITelemetrySource.Read"/>;
    /// the other entries are left as they are); a counter that failed this time is NaN.</summary>
    void ReadCounters(Span<double> values);
}

/// <summary>A named factory for an <see cref="ITelemetrySource"/>.</summary>
public sealed record TelemetrySourceDescriptor(string Name, string Description, Func<TelemetrySourceOptions, ITelemetrySource> Create)
    : EntryDescriptor(Name, Description)
{
    /// <summary>Whether the source can work with the run's options (e.g. a URL was given); null: as
    /// <see cref="EntryDescriptor.CheckAvailability"/> says.</summary>
    public Func<TelemetrySourceOptions, Availability>? CheckWithOptions { get; init; }

    /// <summary>Used only when named (<c>--energy NAME</c>), never by default: for a source that may measure the same
    /// hardware as the local ones (a cluster's Prometheus), where adding both would count energy twice.</summary>
    public bool OnlyWhenNamed { get; init; }
}

/// <summary>Implemented by a telemetry source that notices things while sampling (a counter reset, a gap, failed
/// reads); the run's summary.json lists them with the source.</summary>
public interface ITelemetryNotes
{
    /// <summary>What the source noticed so far, one sentence each.</summary>
    IReadOnlyList<string> Notes { get; }
}
