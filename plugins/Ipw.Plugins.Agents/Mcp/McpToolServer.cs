using System.Text.Json;
using Ipw.Abstractions;
using Ipw.Plugins.Agents.Tools;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Ipw.Plugins.Agents.Mcp;

/// <summary>
/// One MCP tool server, started as a child process and spoken to over its standard input and output (the stdio
/// transport of the official C# SDK): its tools listed once at the start, each offered to the model as it describes
/// itself, and called through the SDK. The command is run by <c>/bin/sh -c "exec CMD"</c>, so it is written as in a
/// shell (quotes, <c>$VARS</c>); the server's standard error is kept, its last lines said when it fails.
/// </summary>
public sealed class McpToolServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly McpClient _client;

    private McpToolServer(string name, McpClient client, IReadOnlyList<ICallableTool> tools)
    {
        Name = name;
        _client = client;
        Tools = tools;
    }

    public string Name { get; }

    /// <summary>The server's tools, in the order it lists them.</summary>
    public IReadOnlyList<ICallableTool> Tools { get; }

    /// <summary>Starts the server and lists its tools; a server that fails to start or answer is a
    /// <see cref="PluginConfigurationException"/> with its last words.</summary>
    public static async Task<McpToolServer> StartAsync(string name, string command, CancellationToken cancellationToken)
    {
        var stderr = new LastLines(5);
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = name,
            Command = "/bin/sh",
            Arguments = ["-c", "exec " + command],
            StandardErrorLines = stderr.Add,
        });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        McpClient? client = null;
        try
        {
            client = await McpClient.CreateAsync(transport, cancellationToken: timeout.Token).ConfigureAwait(false);
            var listed = await client.ListToolsAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
            var tools = listed.Select(t => (ICallableTool)new McpTool(client, t.ProtocolTool)).ToList();
            return new McpToolServer(name, client, tools);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            // The SDK's message may carry the server's stderr on lines of its own: its first line, and the stderr kept here.
            var why = e is OperationCanceledException ? $"no answer in {StartTimeout.TotalSeconds:0} s" : e.Message.Split('\n')[0].Trim();
            throw new PluginConfigurationException($"MCP server '{name}' ({command}) did not start: {why}{stderr.Said()}");
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    /// <summary>The last lines a process wrote to its standard error.</summary>
    private sealed class LastLines(int keep)
    {
        private readonly Queue<string> _lines = new();

        public void Add(string line)
        {
            lock (_lines)
            {
                if (string.IsNullOrWhiteSpace(line)) return;
                _lines.Enqueue(line.Trim());
                if (_lines.Count > keep) _lines.Dequeue();
            }
        }

        public string Said()
        {
            lock (_lines) return _lines.Count == 0 ? "" : "; it said: " + string.Join(" | ", _lines);
        }
    }
}

/// <summary>One tool of an MCP server, called with the model's JSON arguments; its text content is the answer, other
/// content named by its kind, and a result the server marks as an error starts <c>error:</c>.</summary>
internal sealed class McpTool(McpClient client, Tool tool) : ICallableTool
{
    public string Name => tool.Name;

    public string Description => tool.Description ?? tool.Title ?? tool.Name;

    public string ParametersSchema { get; } = tool.InputSchema.GetRawText();

    public string TextInput { get; } = Shape(tool.InputSchema);

    public async Task<string> CallAsync(string arguments, CancellationToken cancellationToken)
    {
        if (Arguments(arguments) is not { } parsed) return $"error: {tool.Name} takes a JSON object of arguments, {TextInput}";
        try
        {
            var result = await client.CallToolAsync(new CallToolRequestParams { Name = tool.Name, Arguments = parsed }, cancellationToken).ConfigureAwait(false);
            var text = string.Join("\n", result.Content.Select(c => c is TextContentBlock t ? t.Text : $"[{c.Type} content]"));
            return result.IsError == true ? "error: " + text : text;
        }
        catch (McpException e)
        {
            return "error: " + e.Message;
        }
    }

    /// <summary>The call's arguments: a JSON object, or text given to the one string the schema asks for.</summary>
    private Dictionary<string, JsonElement>? Arguments(string arguments)
    {
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
                return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        }
        catch (JsonException)
        {
        }
        var strings = Properties(tool.InputSchema).Where(p => p.Type == "string").ToList();
        return strings.Count == 1 ? new() { [strings[0].Name] = JsonSerializer.SerializeToElement(arguments) } : null;
    }

    private static string Shape(JsonElement schema) =>
        "{" + string.Join(", ", Properties(schema).Select(p => $"\"{p.Name}\": {p.Type}")) + "}";

    private static IEnumerable<(string Name, string Type)> Properties(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object
            ? props.EnumerateObject().Select(p => (p.Name,
                p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "value"))
            : [];
}
