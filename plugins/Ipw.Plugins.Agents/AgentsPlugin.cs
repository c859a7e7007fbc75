using Ipw.Abstractions;

namespace Ipw.Plugins.Agents;

/// <summary>Registers the agentic workload (<c>ipw-agentic</c>) and the ReAct agent over its offline tools.</summary>
public sealed class AgentsPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddDataset(new DatasetDescriptor("ipw-agentic",
            $"built-in agentic workload v{AgenticWorkload.Version}: tasks over invented facts, each taking 2 to 6 calls of offline "
            + "tools (calculator, evaluate, search, read_file), graded offline (settings: subjects=finance,geography,inventory,physics,logistics, "
            + "sample=N, shuffle=true, seed=S)",
            options => new AgenticDataset(options)));
        registry.AddAgent(new AgentDescriptor("react",
            "ReAct: the model reasons, calls the offline tools (calculator, evaluate, search, read_file) and reads their results, step by step, until it "
            + "answers (settings: max_steps=8, protocol=tools|text: OpenAI tool calling, or Action:/Final Answer: lines for servers without it, "
            + "mcp=CMD or mcp.NAME=CMD: an MCP tool server over stdio, offline=false: its tools alone)",
            options => new ReactAgent(options)));
    }
}
