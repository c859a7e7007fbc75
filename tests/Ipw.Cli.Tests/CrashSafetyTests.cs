using System.Diagnostics;

namespace Ipw.Cli.Tests;

public sealed class CrashSafetyTests : IDisposable
{
    private readonly TempDir _work = new();

    [Fact]
    public void Sigkill_mid_run_leaves_a_loadable_run_with_every_completed_query()
    {
        using var p = IpwProcess.Start(_work.Path,
            ["profile", "--max-tokens", "64", "--threads", "1", "--warmup", "0", "--output-dir", "runs", "--progress", "plain"]);
        p.StandardInput.Close();
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();

        // Wait until at least five records are on disk, counted by an independent reader.
        var deadline = Stopwatch.StartNew();
        string? data = null;
        var seen = 0;
        while (deadline.Elapsed < TimeSpan.FromMinutes(2) && seen < 5)
        {
            Thread.Sleep(300);
            data ??= Directory.Exists(_work.Combine("runs"))
                ? Directory.GetFiles(_work.Combine("runs"), "data-00000-of-00001.arrow", SearchOption.AllDirectories).FirstOrDefault()
                : null;
            if (data is not null && new FileInfo(data).Length > 0) seen = ArrowJs.Read(data).GetProperty("numRows").GetInt32();
        }
        Assert.True(seen >= 5, "the run never wrote five records");
        p.Kill(); // SIGKILL: no handler runs
        p.WaitForExit();
        Assert.False(p.ExitCode == 0);

        var table = ArrowJs.Read(data!);
        var count = table.GetProperty("numRows").GetInt32();
        Assert.True(count >= seen, $"{count} rows after the kill, {seen} before");
        var indices = table.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("query_index").GetInt32());
        Assert.Equal(Enumerable.Range(0, count), indices);
        var folder = Path.GetDirectoryName(data)!;
        Assert.True(File.Exists(Path.Combine(folder, "state.json")));
        Assert.True(File.Exists(Path.Combine(folder, "dataset_info.json")));
        Assert.Contains("\"status\": \"running\"", File.ReadAllText(Path.Combine(folder, "summary.json")));
    }

    public void Dispose() => _work.Dispose();
}
