using Ipw.Abstractions;
using Ipw.Plugins.Agents.Mcp;

namespace Ipw.Plugins.Agents.Tests;

/// <summary>The MCP client against MCP's reference server (<c>@modelcontextprotocol/server-everything</c>, a real
/// third-party stdio server, installed by scripts/test.sh into tests/mcp).</summary>
public sealed class McpToolServerTests
{
    private static string Everything()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ipw.sln"))) dir = dir.Parent;
        var script = Path.Combine(dir!.FullName, "tests", "mcp", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
        Assert.True(File.Exists(script), "server-everything is not installed: run 'npm install --prefix tests/mcp' (scripts/test.sh does)");
        return $"node '{script}' stdio";
    }

    [Fact]
    public async Task Its_tools_are_listed_with_their_schemas_and_called_with_the_models_arguments()
    {
        await using var server = await McpToolServer.StartAsync("everything", Everything(), CancellationToken.None);
        var sum = Assert.Single(server.Tools, t => t.Name == "get-sum");
        Assert.Contains("\"a\"", sum.ParametersSchema);
        Assert.Equal("{\"a\": number, \"b\": number}", sum.TextInput);
        Assert.Equal("The sum of 2 and 3.5 is 5.5.", await sum.CallAsync("""{"a": 2, "b": 3.5}""", CancellationToken.None));
        // Text that is not a JSON object: given to the one string argument a tool has, else refused with its shape.
        var echo = Assert.Single(server.Tools, t => t.Name == "echo");
        Assert.Equal("Echo: plain words", await echo.CallAsync("plain words", CancellationToken.None));
        Assert.Equal("error: get-sum takes a JSON object of arguments, {\"a\": number, \"b\": number}", await sum.CallAsync("2 + 3", CancellationToken.None));
        // Arguments the server's schema refuses come back as its error, for the model to read.
        Assert.StartsWith("error: ", await sum.CallAsync("""{"a": "two"}""", CancellationToken.None));
    }

    [Fact]
    public async Task Two_tools_of_one_name_are_refused_naming_both()
    {
        var everything = Everything();
        var agent = new ReactAgent(new AgentOptions(new Dictionary<string, string> { ["mcp.a"] = everything, ["mcp.b"] = everything }));
        await using var _ = agent;
        var e = await Assert.ThrowsAsync<PluginConfigurationException>(() => agent.PrepareAsync(CancellationToken.None));
        Assert.StartsWith("the tool name 'echo' is taken twice, by MCP server 'b' and by MCP server 'a'", e.Message);
    }

    [Fact]
    public void Offline_false_without_a_server_leaves_no_tools_and_says_so() =>
        Assert.Equal("offline=false leaves no tools: add an MCP server with mcp=CMD",
            Assert.Throws<PluginConfigurationException>(() => new ReactAgent(new AgentOptions(new Dictionary<string, string> { ["offline"] = "false" }))).Message);
}
