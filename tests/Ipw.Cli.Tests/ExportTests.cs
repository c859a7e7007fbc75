using System.Globalization;
using System.Text.Json;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Summary;
using Ipw.Tests;

namespace Ipw.Cli.Tests;

/// <summary>One real profile on the built-in model, exported by the tests that share it.</summary>
public sealed class ExportRun : IDisposable
{
    public const int Queries = 6;

    public TempDir Work { get; } = new();
    public string RunPath { get; }

    /// <summary>The run's records as apache-arrow reads its data file: what every export must hold.</summary>
    public JsonElement Records { get; }

    public ExportRun()
    {
        var r = IpwProcess.Run(Work.Path, ["profile", "--max-queries", Queries.ToString(CultureInfo.InvariantCulture), "--max-tokens", "128",
            "--threads", "1", "--warmup", "0", "--output-dir", "runs", "--progress", "plain"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        RunPath = Directory.GetDirectories(Work.Combine("runs")).Single();
        Records = ArrowJs.Read(Path.Combine(RunPath, "data-00000-of-00001.arrow"));
        // The built-in workload's summarization item: a row far longer than a CSV writer's first buffer.
        Assert.Contains(Records.GetProperty("rows").EnumerateArray(), row => row.GetProperty("prompt").GetString()!.Length > 10_000);
    }

    public void Dispose() => Work.Dispose();
}

/// <summary><c>ipw export</c> through the real binary, each file read back by DuckDB and compared with apache-arrow's
/// reading of the run's own data file.</summary>
public sealed class ExportTests(ExportRun run) : IClassFixture<ExportRun>
{
    private IpwProcess.Result Export(params string[] args) => IpwProcess.Run(run.Work.Path, ["export", .. args]);

    private string[] ColumnNames => run.Records.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToArray();

    [Theory]
    [InlineData("csv")]
    [InlineData("jsonl")]
    [InlineData("parquet")]
    public void Every_record_and_column_reads_back_in_duckdb_with_missing_values_null(string format)
    {
        var r = Export(run.RunPath, "--format", format);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var path = Path.Combine(run.RunPath, "export", $"records.{format}");
        Assert.Contains($"{ExportRun.Queries} records → ", r.Stdout);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));

        var table = DuckDb.Read(path, format, allVarchar: format == "csv");
        Assert.Equal(ExportRun.Queries, table.GetProperty("numRows").GetInt32());
        Assert.Equal(ColumnNames, table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));
        var expected = run.Records.GetProperty("rows").EnumerateArray().ToList();
        var actual = table.GetProperty("rows").EnumerateArray().ToList();
        var nulls = 0;
        for (var i = 0; i < expected.Count; i++)
        {
            foreach (var column in ColumnNames)
            {
                var want = expected[i].GetProperty(column);
                AssertCell($"{format} row {i} {column}", column, want, actual[i].GetProperty(column));
                if (want.ValueKind == JsonValueKind.Null) nulls++;
            }
        }
        Assert.True(nulls > 0, "the run has no missing value to check"); // energy, on a machine without counters

        // The types a reader gets: Parquet's are declared, the text formats' are what DuckDB makes of them.
        var types = (format == "csv" ? DuckDb.Read(path, format) : table).GetProperty("columns").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString()!);
        Assert.Equal("BIGINT", types["query_index"]);
        Assert.Equal("DOUBLE", types["e2e_latency_s"]);
        Assert.Equal("BOOLEAN", types["correct"]);
        Assert.Equal("VARCHAR", types["prompt"]);
        if (format == "parquet")
        {
            Assert.Equal("TIMESTAMP WITH TIME ZONE", types["started_at"]);
            Assert.Equal("DOUBLE[]", types["itl_s"]);
            Assert.Equal("DOUBLE", types["energy_j"]); // typed although missing in every row
            Assert.Equal("STRUCT(\"device\" VARCHAR, \"energy_j\" DOUBLE, \"active_energy_j\" DOUBLE, \"avg_power_w\" DOUBLE)[]", types["energy_by_device"]);
            Assert.Equal("BIGINT", types["cached_input_tokens"]);
        }
        if (format == "jsonl") Assert.Equal("DOUBLE[]", types["itl_s"]);
    }

    [Fact]
    public void Columns_go_to_standard_output_in_the_order_asked()
    {
        var r = Export(run.RunPath, "--format", "jsonl", "-o", "-", "--columns", "e2e_latency_s,query_index", "--columns", "energy_j");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ExportRun.Queries, lines.Length);
        var expected = run.Records.GetProperty("rows").EnumerateArray().ToList();
        for (var i = 0; i < lines.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            Assert.Equal(["e2e_latency_s", "query_index", "energy_j"], line.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(expected[i].GetProperty("e2e_latency_s").GetDouble(), line.RootElement.GetProperty("e2e_latency_s").GetDouble());
            Assert.Equal(i, line.RootElement.GetProperty("query_index").GetInt32());
            Assert.Equal(JsonValueKind.Null, line.RootElement.GetProperty("energy_j").ValueKind);
        }

        var csv = Export(run.RunPath, "--format", "csv", "-o", "-", "--columns", "query_index,prompt");
        Assert.True(csv.ExitCode == 0, csv.Stderr);
        Assert.StartsWith("query_index,prompt\r\n0,", csv.Stdout);
    }

    [Fact]
    public void Several_runs_each_get_their_own_file_and_an_output_path_is_honoured()
    {
        var copy = run.Work.Combine("more", "copy");
        CopyFolder(run.RunPath, copy);
        var r = Export(run.RunPath, copy, "--format", "parquet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var folder in new[] { run.RunPath, copy })
            Assert.Equal(ExportRun.Queries, DuckDb.Read(Path.Combine(folder, "export", "records.parquet"), "parquet").GetProperty("numRows").GetInt32());

        var named = Export(run.RunPath, "-f", "csv", "-o", "chosen.csv", "--columns", "query_index");
        Assert.True(named.ExitCode == 0, named.Stderr);
        var read = DuckDb.Read(run.Work.Combine("chosen.csv"), "csv");
        Assert.Equal(Enumerable.Range(0, ExportRun.Queries), read.GetProperty("rows").EnumerateArray().Select(row => row.GetProperty("query_index").GetInt32()));

        var two = Export(run.RunPath, copy, "-f", "csv", "-o", "both.csv");
        Assert.Equal(2, two.ExitCode);
        Assert.Contains("--output names one file, and 2 runs were given", two.Stderr);
    }

    [Theory]
    [InlineData(new[] { "RUN", "--format", "xml" }, "unknown export format 'xml' (csv, jsonl or parquet)")]
    [InlineData(new[] { "not-a-run", "--format", "csv" }, "'not-a-run' is not a run folder")]
    [InlineData(new[] { "missing", "--format", "csv" }, "'missing': no such folder")]
    [InlineData(new[] { "RUN", "--format", "csv", "--columns", "query_index,nope" }, "has no column 'nope' (its columns: query_index, item_id,")]
    [InlineData(new[] { "RUN", "--format", "parquet", "-o", "-" }, "parquet cannot go to standard output")]
    [InlineData(new[] { "RUN", "--format", "jsonl", "-o", "no/such/folder/x.jsonl" }, "no such folder")]
    [InlineData(new[] { "RUN" }, "Option '--format' is required")]
    public void Bad_input_is_one_line_exit_2_and_writes_nothing(string[] args, string message)
    {
        Directory.CreateDirectory(run.Work.Combine("not-a-run"));
        var copy = run.Work.Combine($"bad-input-{Guid.NewGuid():N}");
        CopyFolder(run.RunPath, copy);
        var r = Export([.. args.Select(a => a == "RUN" ? copy : a)]);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("ipw: error: ", line);
        Assert.Contains(message, line);
        Assert.Equal("", r.Stdout);
        Assert.False(Directory.Exists(Path.Combine(copy, "export")), "an export folder was left behind");
    }

    [Fact]
    public void An_unreadable_record_stops_the_export_and_leaves_no_file()
    {
        var copy = run.Work.Combine("torn");
        CopyFolder(run.RunPath, copy);
        var data = Path.Combine(copy, "data-00000-of-00001.arrow");
        using (var file = new FileStream(data, FileMode.Open)) file.SetLength(file.Length / 2);
        foreach (var format in new[] { "csv", "jsonl", "parquet" })
        {
            var r = Export(copy, "--format", format);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains($"ipw: error: {data}: cannot read the records", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
            Assert.False(Directory.Exists(Path.Combine(copy, "export")), "an export folder was left behind");
        }
    }

    [Fact]
    public void A_full_disk_is_one_line_exit_1_and_leaves_no_file()
    {
        using var disk = new SmallDisk(16);
        var r = Export(run.RunPath, "--format", "jsonl", "-o", Path.Combine(disk.Path, "records.jsonl"));
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("ipw: error: no space left on device at ", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(disk.Path));
    }

    [Fact]
    public void A_missing_list_an_empty_one_and_a_missing_element_stay_apart_and_so_do_missing_and_empty_text()
    {
        using var work = new TempDir();
        string folder;
        using (var store = RunStore.Create(work.Path, "hw", "model"))
        {
            folder = store.Path;
            store.Append(
            [
                QueryRecord.Of(RecordColumns.QueryIndex.With(0), RecordColumns.Reasoning.With("plain"), RecordColumns.ItlS.With(new[] { 1.5, 2.5 })),
                QueryRecord.Of(RecordColumns.QueryIndex.With(1), RecordColumns.Reasoning.With(null), RecordColumns.ItlS.With(null)),
                QueryRecord.Of(RecordColumns.QueryIndex.With(2), RecordColumns.Reasoning.With(""), RecordColumns.ItlS.With(System.Array.Empty<double>())),
                QueryRecord.Of(RecordColumns.QueryIndex.With(3), RecordColumns.Reasoning.With("a, \"quoted\"\r\nline"), RecordColumns.ItlS.With(new[] { double.NaN, 4 })),
            ]);
            store.WriteSummary(new RunSummary { Status = "completed" });
        }
        string?[] texts = ["plain", null, "", "a, \"quoted\"\r\nline"];
        string?[] lists = ["[1.5,2.5]", null, "[]", "[null,4]"];
        foreach (var format in new[] { "csv", "jsonl", "parquet" })
        {
            var r = IpwProcess.Run(work.Path, ["export", folder, "--format", format, "--columns", "query_index,reasoning,itl_s"]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var rows = DuckDb.Read(Path.Combine(folder, "export", $"records.{format}"), format, allVarchar: format == "csv")
                .GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(texts, rows.Select(row => row.GetProperty("reasoning").GetString()));
            // A CSV holds a list as its JSON text; the others as a list.
            Assert.Equal(lists, rows.Select(row => row.GetProperty("itl_s") is var v && v.ValueKind == JsonValueKind.Null ? null
                : v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText().Replace(" ", "", StringComparison.Ordinal)));
        }
    }

    /// <summary>A cell of the export against the run's record: a missing value stays missing (never 0), a number is the same
    /// double, a list the same values; a CSV read as text holds numbers and lists as text.</summary>
    private static void AssertCell(string where, string column, JsonElement expected, JsonElement actual)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Null:
                Assert.True(actual.ValueKind == JsonValueKind.Null, $"{where}: missing in the run, but the export holds {actual}");
                break;
            case JsonValueKind.Number:
                Assert.True(expected.GetDouble() == Number(actual), $"{where}: {expected} in the run, {actual} in the export");
                break;
            case JsonValueKind.True or JsonValueKind.False:
                Assert.True(actual.ValueKind is JsonValueKind.True or JsonValueKind.False || actual.GetString() is "true" or "false", $"{where}: {actual}");
                Assert.Equal(expected.GetBoolean(), actual.ValueKind == JsonValueKind.String ? actual.GetString() == "true" : actual.GetBoolean());
                break;
            case JsonValueKind.Array:
                var list = actual.ValueKind == JsonValueKind.String ? JsonDocument.Parse(actual.GetString()!).RootElement : actual;
                Assert.Equal(expected.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()),
                    list.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()));
                break;
            case JsonValueKind.String when column == "started_at":
                // Parquet holds a timestamp (microseconds); DuckDB prints it in its own way, at its own offset.
                Assert.Equal(Instant(expected.GetString()!).UtcTicks / 10, Instant(actual.GetString()!).UtcTicks / 10);
                break;
            default:
                Assert.Equal(expected.GetString(), actual.GetString());
                break;
        }
    }

    private static double Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? double.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetDouble();

    private static DateTimeOffset Instant(string text) =>
        DateTimeOffset.Parse(System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d\d$") ? text + ":00" : text, CultureInfo.InvariantCulture);

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
