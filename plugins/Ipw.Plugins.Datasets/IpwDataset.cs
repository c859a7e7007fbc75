using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets;

/// <summary>The built-in mixed workload, generated deterministically in code.</summary>
internal sealed class IpwDataset : IDataset
{
    public string Identity => $"ipw@{IpwWorkload.Version}";
    public int? Count => IpwWorkload.ItemCount;

    public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default)
    {
        foreach (var item in IpwWorkload.Generate())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
        }
    }
}

/// <summary>Registers the built-in datasets.</summary>
public sealed class DatasetsPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry) =>
        registry.AddDataset(new DatasetDescriptor(
            "ipw",
            $"built-in mixed workload v{IpwWorkload.Version}: {IpwWorkload.ItemCount} items of math, knowledge, logic, extraction, summarization and chat",
            _ => new IpwDataset()));
}
