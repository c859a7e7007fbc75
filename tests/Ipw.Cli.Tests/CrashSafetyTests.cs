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
        var (data, seen) = RunFiles.WaitForRecords(_work.Combine("runs"), 5);
        p.Kill(); // SIGKILL: no handler runs
        p.WaitForExit();
        Assert.False(p.ExitCode == 0);

        var table = ArrowJs.Read(data);
        var count = table.GetProperty("numRows").GetInt32();
        Assert.True(count >= seen, $"{count} rows after the kill, {seen} before");
        var indices = table.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("query_index").GetInt32());
        Assert.Equal(Enumerable.Range(0, count), indices);
        var folder = Path.GetDirectoryName(data)!;
        Assert.True(File.Exists(Path.Combine(folder, "state.json")));
        Assert.True(File.Exists(Path.Combine(folder, "dataset_info.json")));
        Assert.Contains("\"status\": \"running\"", File.ReadAllText(Path.Combine(folder, "summary.json")));

        // The readers name the run as cut short and say what mends it; repair rebuilds the summary from the records.
        var score = IpwProcess.Run(_work.Path, ["score", folder]);
        Assert.Equal(2, score.ExitCode);
        Assert.Contains("run was interrupted", score.Stderr);
        Assert.Contains("ipw repair", score.Stderr);
        Assert.Equal(2, IpwProcess.Run(_work.Path, ["analyze", folder]).ExitCode);
        var repair = IpwProcess.Run(_work.Path, ["repair", folder]);
        Assert.True(repair.ExitCode == 0, repair.Stderr);
        Assert.Contains($"{count} records kept", repair.Stdout);
        using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))))
        {
            Assert.Equal("interrupted", doc.RootElement.GetProperty("status").GetString());
            Assert.Equal(count, doc.RootElement.GetProperty("counts").GetProperty("queries").GetInt32());
            Assert.Equal(count, doc.RootElement.GetProperty("repair").GetProperty("records_kept").GetInt32());
        }
        var analyze = IpwProcess.Run(_work.Path, ["analyze", folder]);
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
        Assert.Equal(0, IpwProcess.Run(_work.Path, ["score", folder]).ExitCode);
    }

    [Fact]
    public void Sigterm_stops_like_ctrl_c_cancelling_the_queries_in_flight_and_exits_143()
    {
        using var p = IpwProcess.Start(_work.Path,
            ["profile", "--max-tokens", "64", "--threads", "1", "--warmup", "0", "--output-dir", "runs", "--progress", "plain"]);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var (data, seen) = RunFiles.WaitForRecords(_work.Combine("runs"), 3);
        IpwProcess.RunTool("kill", _work.Path, "-TERM", p.Id.ToString());
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "ipw did not stop after SIGTERM");
        Assert.Equal(143, p.ExitCode);
        Assert.Contains("terminated (SIGTERM)", stderr.Result);
        Assert.Contains("run saved to", stdout.Result);

        var folder = Path.GetDirectoryName(data)!;
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        Assert.Equal("interrupted", doc.RootElement.GetProperty("status").GetString());
        var queries = doc.RootElement.GetProperty("counts").GetProperty("queries").GetInt32();
        var rows = ArrowJs.Read(data).GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(queries, rows.Count);
        Assert.True(rows.Count >= seen);
        // The query in flight was cancelled and recorded, not lost.
        Assert.Equal("cancelled", rows[^1].GetProperty("status").GetString());
        Assert.Equal(0, IpwProcess.Run(_work.Path, ["analyze", folder]).ExitCode);
    }

    [Fact]
    public void Ctrl_c_stops_after_the_query_in_flight_saves_everything_and_exits_130()
    {
        using var p = IpwProcess.Start(_work.Path,
            ["profile", "--max-tokens", "64", "--threads", "1", "--warmup", "0", "--output-dir", "runs", "--progress", "plain"]);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        string? summary = null;
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            Thread.Sleep(200);
            summary ??= Directory.Exists(_work.Combine("runs"))
                ? Directory.GetFiles(_work.Combine("runs"), "summary.json", SearchOption.AllDirectories).FirstOrDefault()
                : null;
            if (summary is not null && stdout.IsCompleted == false && File.ReadAllText(summary).Contains("\"running\"")) break;
        }
        Thread.Sleep(1500); // let a few queries complete
        IpwProcess.RunTool("kill", _work.Path, "-INT", p.Id.ToString());
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "ipw did not stop after Ctrl-C");
        Assert.Equal(130, p.ExitCode);
        Assert.Contains("stopping after the query in flight", stderr.Result);
        Assert.Contains("interrupted:", stdout.Result);

        var text = File.ReadAllText(summary!);
        Assert.Contains("\"status\": \"interrupted\"", text);
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        var queries = doc.RootElement.GetProperty("counts").GetProperty("queries").GetInt32();
        Assert.InRange(queries, 1, 299);
        var table = ArrowJs.Read(Path.Combine(Path.GetDirectoryName(summary)!, "data-00000-of-00001.arrow"));
        Assert.Equal(queries, table.GetProperty("numRows").GetInt32());
        Assert.All(table.GetProperty("rows").EnumerateArray(), r => Assert.Equal("ok", r.GetProperty("status").GetString()));
    }

    public void Dispose() => _work.Dispose();
}
