using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ipw.Abstractions;
using Ipw.Plugins.Agents.Tools;

namespace Ipw.Plugins.Agents;

/// <summary>
/// The ReAct loop (reason, act, observe), over the offline tools of the ipw-agentic workload. Each round is one model
/// call; every tool the model asks for is run as a step of its own, its result given back; the loop ends with an answer
/// that calls nothing, or after <c>max_steps</c> model calls (the last text is then the answer).
/// <c>protocol=tools</c> (the default) offers the tools in the OpenAI tool-calling format and reads the calls the
/// client returns; <c>protocol=text</c> describes them in the system message and reads <c>Action: TOOL[INPUT]</c> and
/// <c>Final Answer: ...</c> lines, for servers and engines without tool calling.
/// </summary>
internal sealed partial class ReactAgent : IAgent
{
    private readonly int _maxSteps = 8;
    private readonly bool _text;
    private readonly IReadOnlyList<AgentTool> _tools = AgenticWorkload.Tools();

    public ReactAgent(AgentOptions options)
    {
        foreach (var (key, value) in options.Settings)
        {
            switch (key)
            {
                case "max_steps":
                    _maxSteps = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64 ? n
                        : throw new PluginConfigurationException($"max_steps must be a whole number from 1 to 64, got '{value}'");
                    break;
                case "protocol":
                    _text = value switch
                    {
                        "tools" => false,
                        "text" => true,
                        _ => throw new PluginConfigurationException($"protocol must be tools or text, got '{value}'"),
                    };
                    break;
                default:
                    throw new PluginConfigurationException($"unknown setting '{key}' (known: max_steps, protocol)");
            }
        }
    }

    public async Task<string> RunAsync(WorkloadItem task, IAgentSteps steps, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage> { new("system", _text ? TextPrompt() : ToolPrompt) };
        messages.AddRange(task.Messages.Where(m => m.Role != "system"));
        var definitions = _text ? null : _tools.Select(Definition).ToList();
        var last = "";
        for (var round = 0; round < _maxSteps; round++)
        {
            var result = await steps.ModelAsync(messages, definitions, cancellationToken).ConfigureAwait(false);
            last = result.Text;
            if (result.Error is not null) return last; // the failed call is the task's error
            if (!_text && result.RequestedToolCalls.Count > 0)
            {
                messages.Add(new ChatMessage("assistant", result.Text) { ToolCalls = result.RequestedToolCalls });
                foreach (var call in result.RequestedToolCalls)
                {
                    var output = await Run(steps, call.Name, Input(call), cancellationToken).ConfigureAwait(false);
                    messages.Add(new ChatMessage("tool", output) { ToolCallId = call.Id });
                }
                continue;
            }
            if (_text && ActionLine().Match(result.Text) is { Success: true } action)
            {
                var output = await Run(steps, action.Groups[1].Value, action.Groups[2].Value, cancellationToken).ConfigureAwait(false);
                messages.Add(new ChatMessage("assistant", result.Text[..(action.Index + action.Length)]));
                messages.Add(new ChatMessage("user", "Observation: " + output));
                continue;
            }
            return FinalAnswer().Match(result.Text) is { Success: true } final ? final.Groups[1].Value.Trim() : result.Text.Trim();
        }
        return last.Trim();
    }

    private Task<string> Run(IAgentSteps steps, string name, string input, CancellationToken ct) =>
        steps.ToolAsync(name, _ => Task.FromResult(ToolSet.Call(_tools, name, input).Output), ct);

    /// <summary>A call's one argument: the tool's named property of the JSON arguments (or the only string one); text
    /// that is not a JSON object is taken as it is.</summary>
    private string Input(ToolCallRequest call)
    {
        var argument = _tools.FirstOrDefault(t => t.Name == call.Name)?.Argument;
        try
        {
            using var doc = JsonDocument.Parse(call.Arguments);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return call.Arguments;
            if (argument is not null && doc.RootElement.TryGetProperty(argument, out var named))
                return named.ValueKind == JsonValueKind.String ? named.GetString()! : named.GetRawText();
            var strings = doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToList();
            return strings.Count == 1 ? strings[0].Value.GetString()! : call.Arguments;
        }
        catch (JsonException)
        {
            return call.Arguments;
        }
    }

    private static ToolDefinition Definition(AgentTool t) => new(t.Name, t.Description, JsonSerializer.Serialize(new
    {
        type = "object",
        properties = new Dictionary<string, object> { [t.Argument] = new { type = "string", description = t.ArgumentDescription } },
        required = new[] { t.Argument },
    }));

    private const string ToolPrompt =
        "Answer the question. Use the tools to look facts up, read files and compute: do not guess numbers. " +
        "When you have the answer, reply with it alone, in the form the question asks for.";

    private string TextPrompt() =>
        "Answer the question using these tools:\n" +
        string.Join("\n", _tools.Select(t => $"- {t.Name}[{t.Argument}]: {t.Description}")) +
        "\nTo use a tool, write one line `Action: TOOL[INPUT]` and stop; you will be given `Observation: RESULT`. " +
        "When you know the answer, write `Final Answer: ANSWER`, in the form the question asks for.";

    [GeneratedRegex(@"Action:\s*([A-Za-z_]+)\[(.*)\]")]
    private static partial Regex ActionLine();

    [GeneratedRegex(@"Final Answer:\s*(.+)", RegexOptions.Singleline)]
    private static partial Regex FinalAnswer();
}
