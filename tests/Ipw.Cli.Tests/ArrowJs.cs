using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary>Reads an Arrow file with the JavaScript implementation (npm apache-arrow) as an independent check.</summary>
internal static class ArrowJs
{
    public static JsonElement Read(string arrowPath)
    {
        var dir = Path.Combine(IpwProcess.RepoRoot, "tests", "arrow-js");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "apache-arrow")),
            "apache-arrow is not installed: run 'npm install --prefix tests/arrow-js' (scripts/test.sh does)");
        var json = IpwProcess.RunTool("node", dir, "read-arrow.mjs", arrowPath);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
