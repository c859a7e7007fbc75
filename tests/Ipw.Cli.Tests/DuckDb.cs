using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary>Reads a file <c>ipw export</c> wrote with DuckDB (npm @duckdb/node-api), an implementation independent of ipw's.</summary>
internal static class DuckDb
{
    /// <param name="format">csv, jsonl or parquet.</param>
    /// <param name="allVarchar">CSV only: every field as the text it holds, without the types DuckDB would guess.</param>
    public static JsonElement Read(string path, string format, bool allVarchar = false)
    {
        var dir = Path.Combine(IpwProcess.RepoRoot, "tests", "arrow-js");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "@duckdb", "node-api")),
            "@duckdb/node-api is not installed: run 'npm install --prefix tests/arrow-js' (scripts/test.sh does)");
        var json = allVarchar
            ? IpwProcess.RunTool("node", dir, "read-duckdb.mjs", path, format, "--all-varchar")
            : IpwProcess.RunTool("node", dir, "read-duckdb.mjs", path, format);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
