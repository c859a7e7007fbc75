using Ipw.Abstractions;
using Ipw.Core.Hardware;
using Ipw.Core.Plugins;
using Ipw.Core.Profiling;

namespace Ipw.Core.Summary;

/// <summary>What a run is, fixed before its first query: the options, what the client prepared, the registry entries
/// used, the machine, and when it started.</summary>
internal sealed record RunFacts(
    ProfileOptions Options,
    ClientInfo Info,
    RegisteredEntry<ClientDescriptor> ClientEntry,
    RegisteredEntry<DatasetDescriptor> DatasetEntry,
    IDataset Dataset,
    HardwareInfo Hardware,
    PluginRegistries Registries,
    DateTimeOffset WallStart);
