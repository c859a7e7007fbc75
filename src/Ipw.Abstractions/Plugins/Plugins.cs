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

    /// <summary>Registers a grader that dataset items name in their <c>grader</c> field (<c>name</c> or <c>name:argument</c>).</summary>
    void AddGrader(GraderDescriptor descriptor) => throw new NotSupportedException("this host has no grader registry");

    /// <summary>Registers an agent (the name users type after <c>--agent</c>).</summary>
    void AddAgent(AgentDescriptor descriptor) => throw new NotSupportedException("this host has no agent registry");
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
