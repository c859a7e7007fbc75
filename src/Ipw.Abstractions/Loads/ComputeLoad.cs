namespace Ipw.Abstractions;

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
