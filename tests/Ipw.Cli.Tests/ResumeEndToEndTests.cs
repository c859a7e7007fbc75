using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary><c>ipw profile --resume</c> on the real binary: a run killed, resumed, stopped by SIGTERM and resumed again
/// ends with every item recorded exactly once, in one folder, with one summary over all of it.</summary>
public sealed class ResumeEndToEndTests : IDisposable
{
    private readonly TempDir _work = new();

    private static readonly string[] Profile =
        ["profile", "--max-queries", "30", "--max-tokens", "160", "--threads", "1", "--warmup", "0", "--baseline", "1s",
            "--dataset-option", "subjects=math,knowledge", "--output-dir", "runs", "--progress", "plain"];

    [Fact]
    public void A_run_killed_then_stopped_by_sigterm_resumes_twice_to_every_item_once()
    {
        using var rapl = new FakeRaplCounter(_work.Combine("powercap"), watts: 10);
        var env = new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = rapl.Root };

        // Part 1: SIGKILL, nothing runs after it.
        string folder;
        string startedAt;
        using (var p = IpwProcess.Start(_work.Path, Profile, env))
        {
            Drain(p);
            var (data, _) = RunFiles.WaitForRecords(_work.Combine("runs"), 3);
            p.Kill();
            p.WaitForExit();
            folder = Path.GetDirectoryName(data)!;
            startedAt = Summary(folder).GetProperty("started_at").GetString()!;
        }
        var afterKill = ArrowJs.Read(Path.Combine(folder, "data-00000-of-00001.arrow")).GetProperty("numRows").GetInt32();
        Assert.InRange(afterKill, 3, 26);

        // Part 2: resumed, then SIGTERM: the query in flight is cancelled and recorded, the run said to be resumable.
        using (var p = IpwProcess.Start(_work.Path, ["profile", "--resume", folder, "--progress", "plain"], env))
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            p.StandardInput.Close();
            RunFiles.WaitForRecords(_work.Combine("runs"), afterKill + 1); // (at most 26 kept: at least 3 queries still to go when SIGTERM lands)
            IpwProcess.RunTool("kill", _work.Path, "-TERM", p.Id.ToString());
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "ipw did not stop after SIGTERM");
            Assert.Equal(143, p.ExitCode);
            Assert.Contains($"to finish it: ipw profile --resume {folder}", stdout.Result);
        }
        var interrupted = Summary(folder);
        Assert.Equal("interrupted", interrupted.GetProperty("status").GetString());
        Assert.Equal(afterKill, interrupted.GetProperty("resumes")[0].GetProperty("records_kept").GetInt32());
        Assert.Equal("running", interrupted.GetProperty("resumes")[0].GetProperty("prior_status").GetString());

        // Part 3: resumed again, to the end.
        var last = IpwProcess.Run(_work.Path, ["profile", "--resume", folder, "--progress", "plain"], env);
        Assert.True(last.ExitCode == 0, last.Stderr + last.Stdout);
        Assert.Empty(Directory.GetFiles(folder, "*.before-resume"));

        // Every item once, in the dataset's order of items, none cancelled: the same items a run never stopped measures.
        var rows = ArrowJs.Read(Path.Combine(folder, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(30, rows.Count);
        Assert.Equal(Enumerable.Range(0, 30), rows.Select(r => r.GetProperty("query_index").GetInt32()).Order());
        Assert.All(rows, r => Assert.Equal("ok", r.GetProperty("status").GetString()));
        var reference = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "30", "--max-tokens", "1", "--threads", "1", "--warmup", "0", "--baseline", "0",
            "--dataset-option", "subjects=math,knowledge", "--output-dir", "reference"]);
        Assert.True(reference.ExitCode == 0, reference.Stderr);
        var expected = ArrowJs.Read(Path.Combine(Directory.GetDirectories(_work.Combine("reference")).Single(), "data-00000-of-00001.arrow"))
            .GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("query_index").GetInt32(), r => r.GetProperty("item_id").GetString());
        Assert.All(rows, r => Assert.Equal(expected[r.GetProperty("query_index").GetInt32()], r.GetProperty("item_id").GetString()));

        // One clock: each part starts where the one before ended, so the times only go forward and the gaps are in no window.
        var sent = rows.Select(r => r.GetProperty("sent_at_s").GetDouble()).ToList();
        Assert.Equal(sent.Order(), sent);
        var summary = Summary(folder);
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(startedAt, summary.GetProperty("started_at").GetString());
        Assert.Equal(30, summary.GetProperty("counts").GetProperty("queries").GetInt32());
        var resumes = summary.GetProperty("resumes").EnumerateArray().ToList();
        Assert.Equal(2, resumes.Count);
        Assert.Equal("interrupted", resumes[1].GetProperty("prior_status").GetString());
        var kept = resumes[1].GetProperty("records_kept").GetInt32();
        var dropped = resumes[1].GetProperty("cancelled_dropped").GetInt32();
        Assert.Equal(interrupted.GetProperty("counts").GetProperty("records_on_disk").GetInt32(), kept + dropped);
        var secondStart = resumes[1].GetProperty("prior_duration_s").GetDouble();
        Assert.All(rows.Skip(kept), r => Assert.True(r.GetProperty("sent_at_s").GetDouble() >= secondStart));
        var duration = summary.GetProperty("duration_s").GetDouble();
        Assert.True(sent[^1] < duration);
        // The serving span is the parts' spans added up: shorter than the run's clock, which also counts baselines.
        var span = summary.GetProperty("serving").GetProperty("duration").GetDouble();
        Assert.InRange(span, rows[^1].GetProperty("completed_at_s").GetDouble() - sent[0] - secondStart, duration);

        // The pooled inter-token latency covers every part: each record keeps its gaps (one a token after the first).
        Assert.All(rows, r => Assert.Equal(r.GetProperty("output_tokens").GetInt32() - 1, r.GetProperty("itl_s").GetArrayLength()));
        var gaps = rows.SelectMany(r => r.GetProperty("itl_s").EnumerateArray().Select(g => g.GetDouble())).ToList();
        Assert.Equal(gaps.Average() * 1000, summary.GetProperty("serving").GetProperty("mean_itl_ms").GetDouble(), 6);

        // Energy covers every part: every record has its own, and the run's gross energy is more than the earlier parts'.
        Assert.All(rows, r => Assert.True(r.GetProperty("energy_j").GetDouble() > 0));
        var energy = summary.GetProperty("energy");
        Assert.True(energy.GetProperty("gross_j").GetDouble() > resumes[1].GetProperty("prior_gross_j").GetDouble());
        Assert.Equal(0, energy.GetProperty("queries_missing_energy").GetInt32());
        var perQuery = rows.Sum(r => r.GetProperty("energy_j").GetDouble());
        Assert.Equal(perQuery, energy.GetProperty("total_j").GetDouble(), 6);

        var analyze = IpwProcess.Run(_work.Path, ["analyze", folder]);
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
        var again = IpwProcess.Run(_work.Path, ["profile", "--resume", folder]);
        Assert.Equal(2, again.ExitCode);
        Assert.Equal($"ipw: error: --resume: '{folder}' completed: there is nothing to resume", again.Stderr.Trim());
    }

    [Fact]
    public void Resume_refuses_other_options_a_missing_folder_and_a_changed_dataset_with_one_line()
    {
        File.WriteAllText(_work.Combine("items.jsonl"), string.Join("\n", Enumerable.Range(0, 4).Select(i => $$"""{"id":"q{{i}}","prompt":"say {{i}}"}""")));
        var made = IpwProcess.Run(_work.Path, ["profile", "--dataset", "jsonl", "--dataset-path", "items.jsonl", "--max-queries", "3", "--max-tokens", "2",
            "--threads", "1", "--baseline", "0", "--output-dir", "runs"]);
        Assert.True(made.ExitCode == 0, made.Stderr);
        var folder = Directory.GetDirectories(_work.Combine("runs")).Single();

        var shaped = IpwProcess.Run(_work.Path, ["profile", "--resume", folder, "--max-tokens", "4"]);
        Assert.Equal(2, shaped.ExitCode);
        Assert.StartsWith("ipw: error: --resume continues the run with its own options: --max-tokens cannot be given", shaped.Stderr.Trim());
        var missing = IpwProcess.Run(_work.Path, ["profile", "--resume", "runs/nope"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such folder", missing.Stderr);

        // As a run stopped by Ctrl-C leaves it, then the dataset file edited: the recorded items are no longer there.
        var summaryPath = Path.Combine(folder, "summary.json");
        File.WriteAllText(summaryPath, File.ReadAllText(summaryPath).Replace("\"status\": \"completed\"", "\"status\": \"interrupted\""));
        File.WriteAllText(_work.Combine("items.jsonl"), string.Join("\n", Enumerable.Range(0, 4).Select(i => $$"""{"id":"other{{i}}","prompt":"say {{i}}"}""")));
        var changed = IpwProcess.Run(_work.Path, ["profile", "--resume", folder]);
        Assert.Equal(2, changed.ExitCode);
        Assert.Equal("ipw: error: --resume: the dataset has changed since the run: item 0 is 'other0' now, 'q0' in the run", changed.Stderr.Trim());
        Assert.Equal(3, ArrowJs.Read(Path.Combine(folder, "data-00000-of-00001.arrow")).GetProperty("numRows").GetInt32());
    }

    private static void Drain(System.Diagnostics.Process p)
    {
        p.StandardInput.Close();
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
    }

    private static JsonElement Summary(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))).RootElement;

    public void Dispose() => _work.Dispose();
}
