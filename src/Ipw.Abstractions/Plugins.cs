namespace Ipw.Abstractions;

/// <summary>
/// The single entry point of a plugin assembly. The host creates one instance of every
/// public, non-abstract type implementing this interface and calls <see cref="Register"/> once.
/// </summary>
public interface IIpwPlugin
{
    /// <summary>Registers this plugin's named factories.</summary>
    void Register(IPluginRegistry registry);
}

/// <summary>What a plugin registers into. A name taken twice is an error naming both plugins.</summary>
public interface IPluginRegistry
{
    /// <summary>Registers an inference client (the name users type after <c>--client</c>).</summary>
    void AddClient(ClientDescriptor descriptor);

    /// <summary>Registers a dataset (the name users type after <c>--dataset</c>).</summary>
    void AddDataset(DatasetDescriptor descriptor);

    /// <summary>Registers a telemetry (energy, power, memory, temperature) source.</summary>
    void AddTelemetrySource(TelemetrySourceDescriptor descriptor);

    /// <summary>Registers an analysis run by <c>ipw analyze</c>.</summary>
    void AddAnalysis(AnalysisDescriptor descriptor);

    /// <summary>Registers a visualization drawn by <c>ipw plot</c>.</summary>
    void AddVisualization(VisualizationDescriptor descriptor);

    /// <summary>Registers a compute load of known work for <c>ipw energy test --load NAME</c>.</summary>
    void AddLoad(LoadDescriptor descriptor) => throw new NotSupportedException("this host has no load registry");
}

/// <summary>Whether a registry entry can be used on this machine, and if not, why.</summary>
/// <param name="IsAvailable">True when the entry can be used now.</param>
/// <param name="Reason">When unavailable, the reason in words (and how to fix it where known).</param>
public sealed record Availability(bool IsAvailable, string? Reason = null)
{
    /// <summary>An available entry.</summary>
    public static Availability Yes { get; } = new(true);

    /// <summary>An unavailable entry with a reason.</summary>
    public static Availability No(string reason) => new(false, reason);
}

/// <summary>Common shape of every registry entry.</summary>
public abstract record EntryDescriptor(string Name, string Description)
{
    /// <summary>Cheap check of whether this entry can work here; must not load heavy native code.</summary>
    public Func<Availability> CheckAvailability { get; init; } = () => Availability.Yes;
}

/// <summary>A named factory for an <see cref="IInferenceClient"/>.</summary>
public sealed record ClientDescriptor(string Name, string Description, Func<ClientOptions, IInferenceClient> Create)
    : EntryDescriptor(Name, Description);

/// <summary>A named factory for an <see cref="IDataset"/>.</summary>
public sealed record DatasetDescriptor(string Name, string Description, Func<DatasetOptions, IDataset> Create)
    : EntryDescriptor(Name, Description);

/// <summary>A named factory for an <see cref="ITelemetrySource"/>.</summary>
public sealed record TelemetrySourceDescriptor(string Name, string Description, Func<ITelemetrySource> Create)
    : EntryDescriptor(Name, Description)
{
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

/// <summary>A named factory for an <see cref="IAnalysis"/>.</summary>
public sealed record AnalysisDescriptor(string Name, string Description, Func<IAnalysis> Create)
    : EntryDescriptor(Name, Description);

/// <summary>A named factory for an <see cref="IVisualization"/>.</summary>
public sealed record VisualizationDescriptor(string Name, string Description, Func<IVisualization> Create)
    : EntryDescriptor(Name, Description);

/// <summary>A named factory for an <see cref="IComputeLoad"/>; its settings come from <c>--load-param key=value</c>.</summary>
public sealed record LoadDescriptor(string Name, string Description, Func<IReadOnlyDictionary<string, string>, IComputeLoad> Create)
    : EntryDescriptor(Name, Description);

/// <summary>
/// A compute load of known work (so many floating-point operations per operation) that the energy self-test runs between
/// idle phases, to show whether each backend's power responds and what the extra energy per operation is.
/// </summary>
public interface IComputeLoad : IDisposable
{
    /// <summary>Allocates the operands and warms up; says what one operation is.</summary>
    /// <exception cref="PluginConfigurationException">The settings cannot work (unknown device, bad size, ...).</exception>
    ComputeLoadInfo Prepare(CancellationToken cancellationToken);

    /// <summary>Runs operations back to back for <paramref name="duration"/> (or until cancelled) and says how many ran.
    /// The last operation has finished on the device when this returns.</summary>
    ComputeLoadResult Run(TimeSpan duration, CancellationToken cancellationToken);
}

/// <summary>What one operation of a load is.</summary>
/// <param name="Device">Where it runs ("cpu", "cuda:0").</param>
/// <param name="Description">In words, e.g. "float32 matrix multiply 1024 x 1024 x 1024 (libtorch, 2 threads)".</param>
/// <param name="FlopsPerOperation">Floating-point operations per operation (a multiply-add counts as two).</param>
public sealed record ComputeLoadInfo(string Device, string Description, double FlopsPerOperation);

/// <summary>The work a load did.</summary>
public sealed record ComputeLoadResult(long Operations, TimeSpan Elapsed);
