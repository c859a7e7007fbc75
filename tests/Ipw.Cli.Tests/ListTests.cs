using System.Text.Json;

namespace Ipw.Cli.Tests;

public sealed class ListTests : IDisposable
{
    private readonly TempDir _work = new();

    [Fact]
    public void List_all_shows_every_registry_with_its_entries_plugins_and_availability()
    {
        var r = IpwProcess.Run(_work.Path, ["list", "all"]);
        Assert.Equal(0, r.ExitCode);
        foreach (var heading in new[] { "clients:", "datasets:", "energy:", "analyses:", "visualizations:", "loads:", "graders:" })
            Assert.Contains(heading, r.Stdout);
        Assert.Contains("llamasharp", r.Stdout);
        Assert.Contains("from Ipw.Plugins.LlamaSharp; available", r.Stdout);
        Assert.Contains("ipw ", r.Stdout);
        Assert.Contains("system ", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void List_json_gives_the_same_entries_for_machines()
    {
        var r = IpwProcess.Run(_work.Path, ["list", "--json"]);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var entries = doc.RootElement.GetProperty("entries").EnumerateArray()
            .Select(e => (Kind: e.GetProperty("kind").GetString(), Name: e.GetProperty("name").GetString(), Plugin: e.GetProperty("plugin").GetString()))
            .ToList();
        Assert.Contains(("clients", "llamasharp", "Ipw.Plugins.LlamaSharp"), entries);
        Assert.Contains(("datasets", "ipw", "Ipw.Plugins.Datasets"), entries);
        Assert.Contains(("datasets", "ipw-agentic", "Ipw.Plugins.Agents"), entries);
        Assert.Contains(("energy", "system", "Ipw.Plugins.SystemTelemetry"), entries);
        Assert.Empty(doc.RootElement.GetProperty("failures").EnumerateArray());
        Assert.Equal(10, doc.RootElement.GetProperty("plugins").GetArrayLength());
        Assert.Contains(("clients", "torchsharp", "Ipw.Plugins.TorchSharp"), entries);
        Assert.Contains(("analyses", "regression", "Ipw.Plugins.Analysis"), entries);
        Assert.Contains(("visualizations", "timeline", "Ipw.Plugins.Plots"), entries);
        Assert.Contains(("energy", "rapl", "Ipw.Plugins.Energy"), entries);
        Assert.Contains(("energy", "nvml", "Ipw.Plugins.Energy"), entries);
        Assert.Contains(("clients", "ollama", "Ipw.Plugins.Http"), entries);
        Assert.Contains(("clients", "vllm", "Ipw.Plugins.Http"), entries);
        Assert.Contains(("clients", "openai", "Ipw.Plugins.Http"), entries);
        Assert.Contains(("clients", "llamacpp", "Ipw.Plugins.Http"), entries);
        foreach (var grader in new[] { "exact", "numeric", "choice", "contains", "regex" })
            Assert.Contains(("graders", grader, "Ipw.Plugins.Graders"), entries);
        Assert.Contains(("graders", "judge", "Ipw.Core"), entries);
    }

    [Fact]
    public void List_of_one_kind_shows_only_that_kind()
    {
        var r = IpwProcess.Run(_work.Path, ["list", "datasets", "--json"]);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.All(doc.RootElement.GetProperty("entries").EnumerateArray(), e => Assert.Equal("datasets", e.GetProperty("kind").GetString()));
    }

    [Fact]
    public void List_graders_shows_the_plugins_graders_and_the_judge()
    {
        var r = IpwProcess.Run(_work.Path, ["list", "graders"]);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("graders:", r.Stdout);
        Assert.DoesNotContain("clients:", r.Stdout);
        Assert.Contains("from Ipw.Plugins.Graders; available", r.Stdout);
        Assert.Contains("numeric[:TOLERANCE]", r.Stdout);
        Assert.Contains("judge ", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
