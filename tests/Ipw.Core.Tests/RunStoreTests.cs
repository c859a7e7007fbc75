using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Abstractions;
using Ipw.Core;
using Ipw.Core.Records;
using Ipw.Core.Runs;

namespace Ipw.Core.Tests;

public sealed class RunStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ipw-core-").FullName;

    [Fact]
    public void Records_appended_one_by_one_read_back_with_nulls_kept_as_nulls()
    {
        string path;
        using (var run = RunStore.Create(_root, "test-cpu", "Some Model:1b"))
        {
            path = run.Path;
            run.Append(QueryRecord.Of(RecordColumns.QueryIndex.With(0), RecordColumns.ItemId.With("a"), RecordColumns.Response.With("hi"), RecordColumns.InputTokens.With(12), RecordColumns.OutputTokens.With(3), RecordColumns.TtftS.With(0.25), RecordColumns.E2eLatencyS.With(1)));
            run.Append(QueryRecord.Of(RecordColumns.QueryIndex.With(1), RecordColumns.ItemId.With("b"), RecordColumns.Response.With(""), RecordColumns.InputTokens.With(null), RecordColumns.TtftS.With(double.NaN), RecordColumns.E2eLatencyS.With(2), RecordColumns.EnergyMissingReason.With("none here")));
        }
        Assert.EndsWith("profile_test-cpu_some-model-1b", path);

        var batches = ReadAll(Path.Combine(path, RunStore.DataFileName));
        Assert.Single(batches); // compacted on close
        var rows = batches[0];
        Assert.Equal(2, rows.Length);
        var input = (Int64Array)rows.Column("input_tokens");
        Assert.Equal(12, input.GetValue(0));
        Assert.True(input.IsNull(1));
        var ttft = (DoubleArray)rows.Column("ttft_s");
        Assert.Equal(0.25, ttft.GetValue(0));
        Assert.True(ttft.IsNull(1)); // NaN means "not measured": written as null, never as a number
        Assert.Equal("none here", ((StringArray)rows.Column("energy_missing_reason")).GetString(1));
        Assert.True(((DoubleArray)rows.Column("energy_j")).IsNull(0));
    }

    [Fact]
    public void A_column_missing_in_every_row_reads_as_missing_and_one_that_starts_late_is_missing_before()
    {
        string path;
        using (var run = RunStore.Create(_root, "cpu", "m"))
        {
            path = run.Path;
            // Energy only from row 5,000 on: past the first batches of 2,048 rows.
            for (var i = 0; i < 6_000; i++)
                run.Append(QueryRecord.Of(RecordColumns.QueryIndex.With(i), RecordColumns.E2eLatencyS.With(i), RecordColumns.EnergyJ.With(i >= 5_000 ? i / 10.0 : null)));
            run.WriteSummary(new Ipw.Core.Summary.RunSummary { SchemaVersion = Ipw.Core.Summary.RunSummary.CurrentSchema, Status = "completed" });
        }
        var view = Ipw.Core.Analysis.RunView.Open(path);
        Assert.Equal(6_000, view.RecordCount);
        var energy = view.Numbers("energy_j");
        Assert.Equal(6_000, energy.Length);
        Assert.All(energy[..5_000], e => Assert.True(double.IsNaN(e)));
        Assert.Equal(Enumerable.Range(5_000, 1_000).Select(i => i / 10.0), energy[5_000..]);
        var load = view.Numbers("server_load_s");
        Assert.Equal(6_000, load.Length);
        Assert.All(load, v => Assert.True(double.IsNaN(v)));
        Assert.Same(load, view.Numbers("server_load_s"));
        Assert.Equal(Enumerable.Range(0, 6_000).Select(i => (double)i), view.Numbers("e2e_latency_s"));
        Assert.Contains("server_load_s", view.Columns);
        Assert.Throws<ArgumentException>(() => view.Numbers("no_such_column"));
    }

    [Fact]
    public void Closing_compacts_many_one_row_batches_into_few_without_losing_a_row()
    {
        string data;
        long before;
        using (var run = RunStore.Create(_root, "cpu", "m"))
        {
            data = Path.Combine(run.Path, RunStore.DataFileName);
            for (var i = 0; i < 20_000; i++) run.Append(QueryRecord.Of(RecordColumns.QueryIndex.With(i), RecordColumns.ItemId.With($"q{i}"), RecordColumns.Response.With(i % 3 == 0 ? "" : $"r{i}"), RecordColumns.TtftS.With(i % 5 == 0 ? null : i)));
            before = new FileInfo(data).Length;
            Assert.Equal(20_000, ReadAll(data).Length);
        }
        var batches = ReadAll(data);
        Assert.Equal(10, batches.Length); // 20,000 rows in batches of 2,048
        Assert.True(new FileInfo(data).Length * 3 < before, $"{new FileInfo(data).Length} bytes after, {before} before");
        var index = 0;
        foreach (var b in batches)
        {
            var q = (Int64Array)b.Column("query_index");
            var ttft = (DoubleArray)b.Column("ttft_s");
            var response = (StringArray)b.Column("response");
            for (var r = 0; r < b.Length; r++, index++)
            {
                Assert.Equal(index, q.GetValue(r));
                Assert.Equal(index % 5 == 0 ? null : index, ttft.GetValue(r));
                Assert.Equal(index % 3 == 0 ? "" : $"r{index}", response.GetString(r));
            }
        }
        Assert.Equal(20_000, index);
        Assert.False(File.Exists(data + ".compacting"));
    }

    [Fact]
    public void File_is_a_valid_stream_after_every_append_even_without_the_end_marker()
    {
        using var run = RunStore.Create(_root, "cpu", "m");
        var data = Path.Combine(run.Path, RunStore.DataFileName);
        Assert.Empty(ReadAll(data)); // schema only: an empty run is still loadable
        for (var i = 0; i < 3; i++)
        {
            run.Append(QueryRecord.Of(RecordColumns.QueryIndex.With(i), RecordColumns.ItemId.With($"q{i}")));
            // Read while the writer is still open, as after a crash.
            Assert.Equal(i + 1, ReadAll(data).Sum(b => b.Length));
        }
    }

    [Fact]
    public void Hugging_face_metadata_files_are_written_with_matching_features()
    {
        using var run = RunStore.Create(_root, "cpu", "m");
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Path, "state.json")));
        Assert.Equal(7, state.RootElement.EnumerateObject().Count());
        using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Path, "dataset_info.json")));
        var features = info.RootElement.GetProperty("features");
        Assert.Equal("int64", features.GetProperty("query_index").GetProperty("dtype").GetString());
        Assert.Equal("float64", features.GetProperty("ttft_s").GetProperty("dtype").GetString());
        Assert.Equal("string", features.GetProperty("response").GetProperty("dtype").GetString());
    }

    [Fact]
    public void Existing_runs_are_never_overwritten_even_an_empty_claimed_folder()
    {
        using var first = RunStore.Create(_root, "cpu", "m");
        using var second = RunStore.Create(_root, "cpu", "m");
        Directory.CreateDirectory(Path.Combine(_root, "profile_cpu_m-3"));
        File.WriteAllText(Path.Combine(_root, "profile_cpu_m-3", "notes.txt"), "the user's file");
        using var fourth = RunStore.Create(_root, "cpu", "m");
        Assert.EndsWith("profile_cpu_m", first.Path);
        Assert.EndsWith("profile_cpu_m-2", second.Path);
        Assert.EndsWith("profile_cpu_m-4", fourth.Path);
    }

    [Fact]
    public void Unwritable_output_folder_is_a_user_error()
    {
        var file = Path.Combine(_root, "file");
        File.WriteAllText(file, "");
        var e = Assert.Throws<UserError>(() => RunStore.EnsureWritable(Path.Combine(file, "runs")));
        Assert.Contains("not writable", e.Message);
    }

    internal static RecordBatch[] ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new ArrowStreamReader(stream);
        var batches = new List<RecordBatch>();
        while (reader.ReadNextRecordBatch() is { } batch) batches.Add(batch);
        return batches.ToArray();
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
