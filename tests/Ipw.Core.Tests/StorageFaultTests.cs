using Apache.Arrow.Ipc;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Summary;
using Ipw.Tests;

namespace Ipw.Core.Tests;

/// <summary>A full disk (a real tmpfs) and a torn data file: one clear error, every whole batch kept, and repair.</summary>
public sealed class StorageFaultTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ipw-faults-").FullName;

    private static QueryRecord Record(int i, string response = "an answer") => QueryRecord.Of(
        RecordColumns.QueryIndex.With(i), RecordColumns.ItemId.With($"item-{i}"), RecordColumns.Status.With(i % 5 == 4 ? "timeout" : "ok"),
        RecordColumns.Response.With(response), RecordColumns.InputTokens.With(10), RecordColumns.OutputTokens.With(4),
        RecordColumns.SentAtS.With(i * 0.5), RecordColumns.CompletedAtS.With(i * 0.5 + 0.4), RecordColumns.TtftS.With(0.1),
        RecordColumns.TpotS.With(0.1), RecordColumns.E2eLatencyS.With(0.4));

    private static long Rows(string arrow)
    {
        using var stream = File.OpenRead(arrow);
        using var reader = new ArrowStreamReader(stream);
        long rows = 0;
        while (reader.ReadNextRecordBatch() is { } b) using (b) rows += b.Length;
        return rows;
    }

    [Fact]
    public void A_full_disk_when_the_run_folder_is_made_is_one_error_and_leaves_no_folder()
    {
        using var disk = new SmallDisk(8);
        var started = DateTime.UtcNow;
        var e = Assert.Throws<StorageError>(() => RunStore.Create(disk.Path, "cpu", "m"));
        Assert.Contains("no space left on device at ", e.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "it must not try name after name");
        Assert.Empty(Directory.EnumerateFileSystemEntries(disk.Path));
    }

    [Fact]
    public void A_disk_that_fills_mid_run_keeps_every_whole_batch_and_refuses_more()
    {
        using var disk = new SmallDisk(256);
        using var run = RunStore.Create(disk.Path, "cpu", "m");
        disk.Fill(kibLeft: 24);
        var written = 0;
        var big = new string('x', 1500);
        IOException? failure = null;
        for (var i = 0; i < 1000 && failure is null; i++)
        {
            try
            {
                run.Append([Record(i, big)]);
                written++;
            }
            catch (IOException io)
            {
                failure = io;
            }
        }
        Assert.NotNull(failure);
        Assert.True(StorageError.IsDiskFull(failure), failure.Message);
        Assert.InRange(written, 1, 999);
        Assert.Same(failure, run.Failure);
        Assert.Throws<IOException>(() => run.Append([Record(9999)])); // nothing more once a write failed
        run.Close();
        // Each batch whole or absent: every row appended before the failure reads back, and nothing else.
        Assert.Equal(written, Rows(run.DataPath));
        Assert.Equal(0, RunRepair.CutTornBatch(run.DataPath));
    }

    [Fact]
    public void Repair_cuts_a_torn_last_batch_and_rebuilds_a_running_summary_from_the_records()
    {
        string path;
        using (var run = RunStore.Create(_root, "cpu", "m"))
        {
            path = run.Path;
            for (var i = 0; i < 10; i++) run.Append([Record(i)]);
            RunStore.WriteSummary(path, new RunSummary { SchemaVersion = 1, Status = "running", Counts = new CountsSection(3, 3, 3, 0, null) });
        }
        var data = Path.Combine(path, RunStore.DataFileName);
        var whole = new FileInfo(data).Length;
        // A batch cut short, as a process killed mid-write on a filesystem without atomic appends would leave it.
        using (var f = new FileStream(data, FileMode.Append)) f.Write(File.ReadAllBytes(data).AsSpan(200, 900));
        Assert.Throws<UserError>(() => RunState.RequireEnded(path, SummaryFile.Read(Path.Combine(path, RunStore.SummaryFileName))));

        var outcome = RunRepair.Repair(path);

        Assert.True(outcome.Repaired);
        Assert.Equal(900, outcome.DataBytesCut);
        Assert.Equal(whole, new FileInfo(data).Length);
        Assert.Equal(10, Rows(data));
        var summary = SummaryFile.Read(Path.Combine(path, RunStore.SummaryFileName));
        Assert.Equal("interrupted", summary.Status);
        Assert.Equal(10, summary.Counts!.Queries);
        Assert.Equal(8, summary.Counts.Ok);
        Assert.Equal(2, summary.Counts.ErrorsByClass!["timeout"]);
        Assert.Equal(100, summary.Totals!.InputTokens);
        Assert.Equal(8, summary.Serving!.Completed);
        Assert.Equal(10, summary.Repair!.RecordsKept);
        RunState.RequireEnded(path, summary); // score, analyze and plot take it now
        Assert.False(RunRepair.Repair(path).Repaired); // and a second repair finds it whole
    }

    [Fact]
    public void A_run_whose_process_is_alive_is_not_interrupted_and_not_repaired()
    {
        string path;
        using (var run = RunStore.Create(_root, "cpu", "m")) path = run.Path;
        var live = new RunSummary { Status = "running", Runner = new RunnerSection(Environment.ProcessId, Environment.MachineName) };
        RunStore.WriteSummary(path, live);
        Assert.True(RunState.IsLive(live));
        Assert.Contains("still running", Assert.Throws<UserError>(() => RunState.RequireEnded(path, live)).Message);
        Assert.Contains("still running", Assert.Throws<UserError>(() => RunRepair.Repair(path)).Message);
        var dead = live with { Runner = new RunnerSection(int.MaxValue - 7, Environment.MachineName) };
        Assert.False(RunState.IsLive(dead));
        Assert.Contains("ipw repair", Assert.Throws<UserError>(() => RunState.RequireEnded(path, dead)).Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
