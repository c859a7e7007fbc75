using System.Globalization;
using System.Text.RegularExpressions;
using Ipw.Abstractions;
using Ipw.Plugins.Agents.Mcp;
using Ipw.Plugins.Agents.Tools;

namespace Ipw.Plugins.Agents;

/// <summary>
/// The ReAct loop (reason, act, observe), over the offline tools of the ipw-agentic workload. Each round is one model
/// call; every tool the model asks for is run as a step of its own, its result given back; the loop ends with an answer
/// that calls nothing, or after <c>max_steps</c> model calls (the last text is then the answer).
/// <c>protocol=tools</c> (the default) offers the tools in the OpenAI tool-calling format and reads the calls the
/// client returns; <c>protocol=text</c> describes them in the system message and reads <c>Action: TOOL[INPUT]</c> and
/// <c>Final Answer: ...</c> lines, for servers and engines without tool calling. <c>mcp=CMD</c> (or <c>mcp.NAME=CMD</c>,
/// one per server) adds an MCP server's tools, started before the run and stopped after it; <c>offline=false</c> leaves
/// the offline tools out.
/// </summary>
internal sealed partial class ReactAgent : IAgent, IAsyncDisposable
{
    private readonly int _maxSteps = 8;
    private readonly bool _text;
    private readonly bool _offline = true;
    private readonly Dictionary<string, string> _mcp = new(StringComparer.Ordinal);
    private readonly List<McpToolServer> _servers = [];
    private IReadOnlyList<ICallableTool> _tools = [];

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
                case "offline":
                    _offline = bool.TryParse(value, out var b) ? b : throw new PluginConfigurationException($"offline must be true or false, got '{value}'");
                    break;
                case "mcp":
                case var named when named.StartsWith("mcp.", StringComparison.Ordinal) && named.Length > 4:
                    _mcp[key == "mcp" ? "mcp" : key[4..]] = string.IsNullOrWhiteSpace(value)
                        ? throw new PluginConfigurationException($"{key} needs the MCP server's command, e.g. {key}=\"npx -y @modelcontextprotocol/server-everything\"")
                        : value;
                    break;
                default:
                    throw new PluginConfigurationException($"unknown setting '{key}' (known: max_steps, protocol, offline, mcp, mcp.NAME)");
            }
        }
        if (!_offline && _mcp.Count == 0) throw new PluginConfigurationException("offline=false leaves no tools: add an MCP server with mcp=CMD");
        if (_mcp.Count == 0) _tools = OfflineTools();
    }

    /// <summary>Starts the MCP servers and gathers the tools: the offline ones (unless <c>offline=false</c>), then each
    /// server's; two tools of one name are refused, naming both.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (_mcp.Count == 0) return;
        var tools = _offline ? OfflineTools().ToList() : [];
        var from = tools.ToDictionary(t => t.Name, _ => "the offline tools", StringComparer.Ordinal);
        foreach (var (name, command) in _mcp)
        {
            var server = await McpToolServer.StartAsync(name, command, cancellationToken).ConfigureAwait(false);
            _servers.Add(server);
            foreach (var tool in server.Tools)
            {
                if (from.TryGetValue(tool.Name, out var other))
                    throw new PluginConfigurationException(
                        $"the tool name '{tool.Name}' is taken twice, by MCP server '{name}' and by {other}: set offline=false or leave one server out");
                from[tool.Name] = $"MCP server '{name}'";
                tools.Add(tool);
            }
        }
        _tools = tools;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync().ConfigureAwait(false);
    }

    public async Task<string> RunAsync(WorkloadItem task, IAgentSteps steps, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage> { new("system", _text ? TextPrompt() : ToolPrompt) };
        messages.AddRange(task.Messages.Where(m => m.Role != "system"));
        var definitions = _text ? null : _tools.Select(t => new ToolDefinition(t.Name, t.Description, t.ParametersSchema)).ToList();
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
                    var output = await Run(steps, call.Name, call.Arguments, cancellationToken).ConfigureAwait(false);
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

    private Task<string> Run(IAgentSteps steps, string name, string arguments, CancellationToken ct) =>
        steps.ToolAsync(name, token => _tools.FirstOrDefault(t => t.Name == name) is { } tool
            ? tool.CallAsync(arguments, token)
            : Task.FromResult($"error: there is no tool '{name}' (tools: {string.Join(", ", _tools.Select(t => t.Name))})"), ct);

    private static IReadOnlyList<ICallableTool> OfflineTools() => [.. AgenticWorkload.Tools().Select(t => new OfflineTool(t))];

    private const string ToolPrompt =
        "Answer the question. Use the tools to look facts up, read files and compute: do not guess numbers. " +
        "When you have the answer, reply with it alone, in the form the question asks for.";

    private string TextPrompt() =>
        "Answer the question using these tools:\n" +
        string.Join("\n", _tools.Select(t => $"- {t.Name}[{t.TextInput}]: {t.Description}")) +
        "\nTo use a tool, write one line `Action: TOOL[INPUT]` and stop; you will be given `Observation: RESULT`. " +
        "When you know the answer, write `Final Answer: ANSWER`, in the form the question asks for.";

    [GeneratedRegex(@"Action:\s*([A-Za-z0-9_.-]+)\[(.*)\]")]
    private static partial Regex ActionLine();

    [GeneratedRegex(@"Final Answer:\s*(.+)", RegexOptions.Singleline)]
    private static partial Regex FinalAnswer();
}
