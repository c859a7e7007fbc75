using System.Text.Json;

namespace Ipw.Plugins.Agents.Tools;

/// <summary>A tool as the agent offers it to the model, whatever runs it: an offline tool here, or one of an MCP
/// server's.</summary>
public interface ICallableTool
{
    string Name { get; }

    string Description { get; }

    /// <summary>The JSON Schema of the call's arguments (an object), as the OpenAI tool-calling format takes it.</summary>
    string ParametersSchema { get; }

    /// <summary>What a text-protocol call's INPUT is, as the model is told: <c>expression</c>, or a JSON object's shape.</summary>
    string TextInput { get; }

    /// <summary>Runs the tool on the model's arguments: the JSON object of a tool call, or a text-protocol INPUT. A
    /// refusal comes back as text starting <c>error:</c> (the model reads it and may try again).</summary>
    Task<string> CallAsync(string arguments, CancellationToken cancellationToken);
}

/// <summary>An offline tool (<see cref="AgentTool"/>), whose one text argument is the named property of a call's JSON
/// arguments (or their only string), or a text-protocol INPUT as it is.</summary>
internal sealed class OfflineTool(AgentTool tool) : ICallableTool
{
    public string Name => tool.Name;

    public string Description => tool.Description;

    public string ParametersSchema { get; } = JsonSerializer.Serialize(new
    {
        type = "object",
        properties = new Dictionary<string, object> { [tool.Argument] = new { type = "string", description = tool.ArgumentDescription } },
        required = new[] { tool.Argument },
    });

    public string TextInput => tool.Argument;

    public Task<string> CallAsync(string arguments, CancellationToken cancellationToken)
    {
        var (output, _) = ToolSet.Call([tool], tool.Name, Input(arguments));
        return Task.FromResult(output);
    }

    private string Input(string arguments)
    {
        try
        {
            using var doc = JsonDocument.Parse(arguments);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return arguments;
            if (doc.RootElement.TryGetProperty(tool.Argument, out var named))
                return named.ValueKind == JsonValueKind.String ? named.GetString()! : named.GetRawText();
            var strings = doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToList();
            return strings.Count == 1 ? strings[0].Value.GetString()! : arguments;
        }
        catch (JsonException)
        {
            return arguments;
        }
    }
}
