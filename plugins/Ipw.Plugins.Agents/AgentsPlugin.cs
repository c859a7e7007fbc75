using Ipw.Abstractions;

namespace Ipw.Plugins.Agents;

/// <summary>Registers the agentic workload (<c>ipw-agentic</c>) whose offline tools this assembly holds.</summary>
public sealed class AgentsPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddDataset(new DatasetDescriptor("ipw-agentic",
            $"built-in agentic workload v{AgenticWorkload.Version}: tasks over invented facts, each taking 2 to 6 calls of offline "
            + "tools (calculator, evaluate, search, read_file), graded offline (settings: subjects=finance,geography,inventory,physics,logistics, "
            + "sample=N, shuffle=true, seed=S)",
            options => new AgenticDataset(options)));
    }
}
