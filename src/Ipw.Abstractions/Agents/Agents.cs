namespace Ipw.Abstractions;

/// <summary>
/// An agent: a loop that answers a task by calling the model and tools, through <see cref="IAgentSteps"/>, which ipw
/// measures step by step (each model call and each tool call is timed on the run's clock, its tokens counted). The agent
/// decides; ipw measures. Registered with <see cref="IPluginRegistry.AddAgent"/> and run by <c>ipw profile --agent NAME</c>,
/// once per dataset item; the item's record sums its steps. An agent that holds resources (a tool server's process)
/// may implement <see cref="IAsyncDisposable"/>: it is disposed when the run ends.
/// </summary>
public interface IAgent
{
    /// <summary>Called once before the run's warm-up, outside every measured window: start what the agent needs (a tool
    /// server, say), so its start-up is not charged to the first task. A <see cref="PluginConfigurationException"/> ends
    /// the run before it begins, with its message.</summary>
    Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Answers <paramref name="task"/>; returns the final answer (what is graded).</summary>
    Task<string> RunAsync(WorkloadItem task, IAgentSteps steps, CancellationToken cancellationToken);
}

/// <summary>The steps an agent takes, measured by ipw.</summary>
public interface IAgentSteps
{
    /// <summary>The run's generation settings for each model call (max tokens, temperature, the item's seed).</summary>
    GenerationParameters Parameters { get; }

    /// <summary>One model call: the messages so far and the functions offered (null or empty: none). The client's
    /// result, error included (a failed call is a step too).</summary>
    Task<InferenceResult> ModelAsync(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools, CancellationToken cancellationToken);

    /// <summary>One tool call, timed as a step of its own: <paramref name="call"/> runs it and returns what the model is
    /// given back.</summary>
    Task<string> ToolAsync(string name, Func<CancellationToken, Task<string>> call, CancellationToken cancellationToken);
}

/// <summary>Options passed to an agent factory: <c>--agent-param key=value</c> settings.</summary>
public sealed record AgentOptions(IReadOnlyDictionary<string, string> Settings);

/// <summary>A named factory for an <see cref="IAgent"/>.</summary>
public sealed record AgentDescriptor(string Name, string Description, Func<AgentOptions, IAgent> Create)
    : EntryDescriptor(Name, Description);
