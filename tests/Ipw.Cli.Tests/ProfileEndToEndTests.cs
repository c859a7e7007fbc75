using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary>One real 20-query profile on the built-in model, shared by the tests that inspect it.</summary>
public sealed class TwentyQueryRun : IDisposable
{
    public TempDir Work { get; } = new();
    public IpwProcess.Result Result { get; }
    public string RunPath { get; }
    public const int MaxTokens = 24;

    public TwentyQueryRun()
    {
        Result = IpwProcess.Run(Work.Path, ["profile", "--max-queries", "20", "--max-tokens", MaxTokens.ToString(), "--threads", "1", "--output-dir", "runs"]);
        var runs = Directory.Exists(Work.Combine("runs")) ? Directory.GetDirectories(Work.Combine("runs")) : [];
        RunPath = runs.Length == 1 ? runs[0] : "";
    }

    public void Dispose() => Work.Dispose();
}

public sealed class ProfileEndToEndTests(TwentyQueryRun run) : IClassFixture<TwentyQueryRun>
{
    private JsonElement Records() => ArrowJs.Read(Path.Combine(run.RunPath, "data-00000-of-00001.arrow"));

    [Fact]
    public void Profile_with_defaults_completes_and_names_the_folder_after_hardware_and_model()
    {
        Assert.True(run.Result.ExitCode == 0, run.Result.Stderr + run.Result.Stdout);
        Assert.Matches(@"profile_[a-z0-9.\-]+_ipw-tiny$", run.RunPath.Replace('\\', '/'));
        Assert.Contains("run saved to", run.Result.Stdout);
    }

    [Fact]
    public void The_console_says_each_thing_once_and_labels_its_rates()
    {
        var lines = run.Result.Stdout.Split('\n');
        var energy = Assert.Single(lines, l => l.TrimStart().StartsWith("energy:", StringComparison.Ordinal));
        Assert.True(energy.Length < 200, energy); // the backends' reasons are in summary.json and ipw energy test, not here
        Assert.Contains("  measuring: sequential, one query at a time", lines);
        Assert.DoesNotContain("  sequential", lines);
        Assert.Matches(@"\[20/20\] errors 0, output \d+ tok/s", run.Result.Stdout);
        Assert.Matches(@"mean per query: TTFT [\d.]+ ms, end-to-end [\d.]+ ms, decode rate \d+ tok/s \(each query's own", run.Result.Stdout);
    }

    [Fact]
    public void Arrow_file_reads_back_in_the_javascript_implementation_with_every_query()
    {
        var table = Records();
        Assert.Equal(20, table.GetProperty("numRows").GetInt32());
        var indices = table.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("query_index").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(0, 20), indices);
    }

    [Fact]
    public void State_json_has_the_seven_keys_load_from_disk_expects()
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.RunPath, "state.json")));
        var root = state.RootElement;
        Assert.Equal(
            ["_data_files", "_fingerprint", "_format_columns", "_format_kwargs", "_format_type", "_output_all_columns", "_split"],
            root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("data-00000-of-00001.arrow", root.GetProperty("_data_files")[0].GetProperty("filename").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("_format_columns").ValueKind);
        Assert.Equal(JsonValueKind.Object, root.GetProperty("_format_kwargs").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("_format_type").ValueKind);
        Assert.False(root.GetProperty("_output_all_columns").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("_split").ValueKind);
    }

    [Fact]
    public void Dataset_info_features_match_the_arrow_types_exactly()
    {
        using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.RunPath, "dataset_info.json")));
        var features = info.RootElement.GetProperty("features");
        var fields = Records().GetProperty("fields").EnumerateArray().ToList();
        Assert.Equal(fields.Select(f => f.GetProperty("name").GetString()), features.EnumerateObject().Select(p => p.Name));
        foreach (var field in fields)
        {
            var feature = features.GetProperty(field.GetProperty("name").GetString()!);
            var type = field.GetProperty("type").GetString();
            if (type!.StartsWith("List<Struct<", StringComparison.Ordinal))
            {
                // A named per-device list: datasets' list feature ([{...}]) of the entry's fields, each a Value.
                var entry = Assert.Single(feature.EnumerateArray().ToList());
                Assert.Equal(["device:string", "energy_j:float64", "active_energy_j:float64", "avg_power_w:float64"],
                    entry.EnumerateObject().Select(p => $"{p.Name}:{p.Value.GetProperty("dtype").GetString()}"));
                Assert.Equal("List<Struct<{device:Utf8, energy_j:Float64, active_energy_j:Float64, avg_power_w:Float64}>>", type);
                continue;
            }
            if (type == "List<Float64>")
            {
                // A per-device list: a Sequence (datasets 2.x to 4.x) of float64 values.
                Assert.Equal("Sequence", feature.GetProperty("_type").GetString());
                feature = feature.GetProperty("feature");
                type = "Float64";
            }
            Assert.Equal("Value", feature.GetProperty("_type").GetString());
            var expected = type switch
            {
                "Int64" => "int64",
                "Float64" => "float64",
                "Utf8" => "string",
                "Bool" => "bool",
                var other => $"unexpected arrow type {other}",
            };
            Assert.Equal(expected, feature.GetProperty("dtype").GetString());
        }
    }

    [Fact]
    public void Answers_are_graded_and_the_summary_gives_accuracy_with_its_interval()
    {
        var rows = Records().GetProperty("rows").EnumerateArray().ToList();
        var graded = 0;
        var correct = 0;
        foreach (var row in rows)
        {
            var explanation = row.GetProperty("grade_explanation").GetString()!;
            if (row.GetProperty("grader").ValueKind == JsonValueKind.Null)
            {
                // Open-ended items (chat, summaries) are not graded, and say so.
                Assert.Equal(JsonValueKind.Null, row.GetProperty("correct").ValueKind);
                Assert.Equal(JsonValueKind.Null, row.GetProperty("score").ValueKind);
                Assert.StartsWith("not graded", explanation);
                continue;
            }
            graded++;
            var ok = row.GetProperty("correct").GetBoolean();
            if (ok) correct++;
            Assert.Equal(ok ? 1.0 : 0.0, row.GetProperty("score").GetDouble());
            Assert.StartsWith(row.GetProperty("grader").GetString() + ":", explanation);
        }
        Assert.True(graded > 0, "the default workload has graded items");
        Assert.True(graded < rows.Count, "and open-ended ones");

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.RunPath, "summary.json")));
        var intelligence = summary.RootElement.GetProperty("intelligence");
        Assert.Equal(graded, intelligence.GetProperty("graded").GetInt32());
        Assert.Equal(correct, intelligence.GetProperty("correct").GetInt32());
        Assert.Equal(rows.Count - graded, intelligence.GetProperty("ungraded").GetInt32());
        var accuracy = intelligence.GetProperty("accuracy").GetDouble();
        Assert.Equal((double)correct / graded, accuracy, 1e-12);
        var ci = intelligence.GetProperty("accuracy_ci95").EnumerateArray().Select(x => x.GetDouble()).ToList();
        Assert.InRange(accuracy, ci[0], ci[1]);
        Assert.True(ci[1] - ci[0] > 0.05, "a handful of graded answers leaves a wide interval");
        // No energy counter here: intelligence per joule and per watt are missing, with the reason, never 0.
        Assert.Equal(JsonValueKind.Null, intelligence.GetProperty("intelligence_per_joule").ValueKind);
        Assert.Equal(JsonValueKind.Null, intelligence.GetProperty("intelligence_per_watt").ValueKind);
        Assert.Contains("energy counter", intelligence.GetProperty("missing_reason").GetString());
        Assert.True(intelligence.GetProperty("by_subject").EnumerateObject().Any());
        Assert.Contains("accuracy:", run.Result.Stdout);
    }

    [Fact]
    public void Every_record_holds_real_measurements_and_missing_energy_has_a_reason()
    {
        foreach (var r in Records().GetProperty("rows").EnumerateArray())
        {
            Assert.Equal("ok", r.GetProperty("status").GetString());
            var ttft = r.GetProperty("ttft_s").GetDouble();
            var e2e = r.GetProperty("e2e_latency_s").GetDouble();
            Assert.InRange(ttft, 1e-6, e2e);
            Assert.True(r.GetProperty("decode_tokens_per_s").GetDouble() > 0);
            Assert.True(r.GetProperty("input_tokens").GetInt64() > 0);
            // The built-in model never samples end-of-sequence: outputs are exactly max_tokens long.
            Assert.Equal(TwentyQueryRun.MaxTokens, r.GetProperty("output_tokens").GetInt64());
            Assert.Equal("engine", r.GetProperty("token_count_source").GetString());
            Assert.False(string.IsNullOrEmpty(r.GetProperty("response").GetString()));
            Assert.False(string.IsNullOrEmpty(r.GetProperty("prompt").GetString()));
            Assert.True(r.GetProperty("process_rss_bytes").GetInt64() > 10_000_000);
            Assert.True(r.GetProperty("system_memory_used_bytes").GetInt64() > 0);
            Assert.True(r.GetProperty("process_cpu_s").GetDouble() > 0);

            Assert.Equal(JsonValueKind.Null, r.GetProperty("energy_j").ValueKind);
            Assert.Contains("no energy counter", r.GetProperty("energy_missing_reason").GetString());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("avg_power_w").ValueKind);
            Assert.False(string.IsNullOrEmpty(r.GetProperty("power_missing_reason").GetString()));
            // A machine with thermal zones records a temperature; one without says why. Never both, never neither.
            var hasTemperature = r.GetProperty("temperature_c").ValueKind == JsonValueKind.Number;
            var hasReason = r.GetProperty("temperature_missing_reason").ValueKind == JsonValueKind.String;
            Assert.True(hasTemperature ^ hasReason);
        }
    }

    [Fact]
    public void Summary_records_config_hardware_counts_and_what_telemetry_was_missing()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.RunPath, "summary.json")));
        var s = doc.RootElement;
        Assert.Equal("completed", s.GetProperty("status").GetString());
        Assert.Equal(20, s.GetProperty("counts").GetProperty("queries").GetInt32());
        Assert.Equal(20, s.GetProperty("config").GetProperty("max_queries").GetInt32());
        Assert.Equal("llamasharp", s.GetProperty("client").GetProperty("name").GetString());
        Assert.Equal("ipw@0.2.0", s.GetProperty("dataset").GetProperty("identity").GetString());
        Assert.Equal(20 * TwentyQueryRun.MaxTokens, s.GetProperty("totals").GetProperty("output_tokens").GetInt64());
        Assert.Equal(CpuModelName(), s.GetProperty("hardware").GetProperty("cpu").GetString());
        Assert.False(s.GetProperty("energy").GetProperty("available").GetBoolean());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("energy").GetProperty("total_j").ValueKind);
        Assert.Contains("system", s.GetProperty("energy").GetProperty("reason").GetString());
        var system = s.GetProperty("telemetry").GetProperty("sources").EnumerateArray().Single(x => x.GetProperty("name").GetString() == "system");
        Assert.True(system.GetProperty("available").GetBoolean());
        Assert.Contains(system.GetProperty("missing").EnumerateArray(), m => m.GetProperty("kind").GetString() == "energy");
        Assert.NotEmpty(s.GetProperty("model").GetProperty("details").GetProperty("sha256").GetString()!);
    }

    [Fact]
    public void Telemetry_timeline_is_written_with_monotonic_stamps()
    {
        var table = ArrowJs.Read(Path.Combine(run.RunPath, "telemetry.arrow"));
        var times = table.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("t_s").GetDouble()).ToList();
        Assert.True(times.Count > 20);
        Assert.Equal(times.Order(), times);
        Assert.Contains(table.GetProperty("rows").EnumerateArray(), r => r.GetProperty("metric").GetString() == "process_rss_bytes");
    }

    [Fact]
    public void A_second_run_never_overwrites_the_first()
    {
        var before = File.ReadAllBytes(Path.Combine(run.RunPath, "data-00000-of-00001.arrow"));
        var second = IpwProcess.Run(run.Work.Path, ["profile", "--max-queries", "2", "--max-tokens", "4", "--threads", "1", "--warmup", "0", "--output-dir", "runs"]);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var folders = Directory.GetDirectories(run.Work.Combine("runs")).Order().ToList();
        Assert.Equal(2, folders.Count);
        Assert.EndsWith("-2", folders[1]);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(run.RunPath, "data-00000-of-00001.arrow")));
        Assert.Equal(2, ArrowJs.Read(Path.Combine(folders[1], "data-00000-of-00001.arrow")).GetProperty("numRows").GetInt32());
        Directory.Delete(folders[1], recursive: true);
    }

    private static string CpuModelName() =>
        File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
}
