using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>
/// <c>ipw run</c> and <c>ipw repl</c> through the real binary: every sample script in scripts/ against the tiny model
/// or the test server, a REPL session over stdin, and the error contract (compile errors exit 2 with file:line:col,
/// exceptions exit 1 with the script's frames).
/// </summary>
public sealed partial class ScriptEndToEndTests : IDisposable
{
    private readonly TempDir _work = new();

    private static string Script(string name) => Path.Combine(IpwProcess.RepoRoot, "scripts", name);

    [GeneratedRegex(@"^(\S+)\s+(\d+)\s+4\s+0\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+n/a\s+[\d.]+%$", RegexOptions.Multiline)]
    private static partial Regex SweepRow();

    [Fact]
    public void The_study_script_profiles_each_model_and_prints_coverage_routing_and_the_frontier()
    {
        // The built-in model at two decoding budgets stands in for two models: the same items, matched one by one.
        var r = IpwProcess.Run(_work.Path, ["run", Script("study.csx"), "--", "--queries", "4", "--subjects", "math"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Matches(@"best of 2 +4 ", r.Stdout);
        Assert.Contains("reference only (", r.Stdout);
        Assert.Contains("frontier across runs", r.Stdout);
        var study = _work.Combine("runs", "study");
        Assert.Equal(2, Directory.GetDirectories(study, "profile_*").Length);
        using var coverage = JsonDocument.Parse(File.ReadAllText(Path.Combine(study, "coverage.json")));
        Assert.Equal(4, coverage.RootElement.GetProperty("items").GetInt32());
        Assert.True(File.Exists(Path.Combine(study, "routing.json")));
        // The built-in engine's own model file gives FLOPs per query without --model-config.
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory.GetDirectories(study, "profile_*")[0], "summary.json")));
        var flops = summary.RootElement.GetProperty("totals").GetProperty("flops");
        Assert.Equal("GGUF tensors (llama)", flops.GetProperty("source").GetString());
        Assert.True(flops.GetProperty("total").GetDouble() > 0);
        Assert.True(File.Exists(Path.Combine(study, "plots", "frontier_latency.png")), r.Stdout);

        var bad = IpwProcess.Run(_work.Path, ["run", Script("study.csx"), "--", "--reference", "3"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--reference must be between 1 and 2, got 3", bad.Stderr);
    }

    [Fact]
    public void The_sweep_script_profiles_each_model_at_each_concurrency_and_compares_them()
    {
        // A second model: the tiny model's GGUF under another name (the cache holds it once any run has loaded it).
        var warm = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "1", "--max-tokens", "1", "--threads", "1", "--baseline", "0", "--output-dir", "warm"]);
        Assert.True(warm.ExitCode == 0, warm.Stderr);
        var gguf = Directory.GetFiles(IpwProcess.CacheDir, "*.gguf", SearchOption.AllDirectories).First();
        File.Copy(gguf, _work.Combine("tiny-copy.gguf"));

        var r = IpwProcess.Run(_work.Path, ["run", Script("sweep.csx"), "--", "--models", "ipw-tiny,tiny-copy.gguf", "--concurrency", "1,2",
            "--queries", "4", "--max-tokens", "8", "--threads", "1"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var rows = SweepRow().Matches(r.Stdout).Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value))).ToList();
        Assert.Equal([("ipw-tiny", 1), ("ipw-tiny", 2), ("tiny-copy", 1), ("tiny-copy", 2)], rows);

        var output = _work.Combine("runs", "sweep-script");
        var runs = Directory.GetDirectories(output).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(4, runs.Count);
        Assert.All(runs, n => Assert.Matches(@"_c[12]$", n!));
        var comparison = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "comparison.json")))!;
        Assert.Equal(4, comparison["runs"]!.AsArray().Count);
        Assert.Contains("ttft_p50_s", r.Stdout);
        foreach (var run in Directory.GetDirectories(output))
        {
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
            Assert.Equal("script", summary.RootElement.GetProperty("config").GetProperty("front_end").GetString());
            Assert.Equal(4, summary.RootElement.GetProperty("counts").GetProperty("records_on_disk").GetInt32());
        }
    }

    [Fact]
    public async Task The_server_comparison_script_names_the_faster_server()
    {
        Environment.SetEnvironmentVariable("IPW_CACHE_DIR", IpwProcess.CacheDir);
        await using var fast = await InferenceServer.StartAsync();
        await using var slow = await InferenceServer.StartAsync();
        fast.Behaviour = new Behaviour { FirstTokenDelay = TimeSpan.FromMilliseconds(5), InterChunkDelay = TimeSpan.FromMilliseconds(1) };
        slow.Behaviour = new Behaviour { FirstTokenDelay = TimeSpan.FromMilliseconds(150), InterChunkDelay = TimeSpan.FromMilliseconds(20) };

        var r = await Task.Run(() => IpwProcess.Run(_work.Path, ["run", Script("compare_servers.csx"), "--", "--a", slow.BaseUrl.ToString(),
            "--b", fast.BaseUrl.ToString(), "--queries", "4", "--max-tokens", "8"]));
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Matches(@"faster first token: b \(TTFT p50 1\d\d\.\d ms against \d+\.\d ms\)", r.Stdout);
        Assert.Contains("faster answers: b", r.Stdout);
        Assert.Contains("energy per token: not measured on both", r.Stdout);
        // The same workload reached both servers: the warm-up and four measured queries each, the same prompts.
        Assert.Equal(5, slow.Served.Count);
        Assert.Equal(slow.Served.Select(s => s.RequestJson.Length), fast.Served.Select(s => s.RequestJson.Length));
        var comparison = JsonNode.Parse(File.ReadAllText(_work.Combine("runs", "compare-servers", "comparison.json")))!;
        Assert.Equal(2, comparison["runs"]!.AsArray().Count);

        var missing = IpwProcess.Run(_work.Path, ["run", Script("compare_servers.csx")]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("give both servers", missing.Stderr);
    }

    [Fact]
    public void The_custom_analysis_script_writes_a_metric_the_built_ins_do_not_have()
    {
        IpwProcess.Result profile;
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap"), 10.0))
        {
            profile = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "6", "--max-tokens", "16", "--threads", "1", "--baseline", "0",
                "--dataset-option", "subjects=math,extraction", "--output-dir", "runs"], new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = rapl.Root });
        }
        Assert.True(profile.ExitCode == 0, profile.Stderr);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();

        var r = IpwProcess.Run(_work.Path, ["run", Script("custom_analysis.csx"), "--", "runs/*"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("→ analysis/prefill_rate.json", r.Stdout);
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "analysis", "prefill_rate.json")))!;

        // The same numbers, computed here from the records read by an independent Arrow reader.
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        var expected = rows.GroupBy(row => 1 << (int)Math.Ceiling(Math.Log2(row.GetProperty("input_tokens").GetDouble())))
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, g.Count(), Median(g.Select(row => row.GetProperty("input_tokens").GetDouble() / row.GetProperty("ttft_s").GetDouble()).ToList())))
            .ToList();
        var buckets = result["buckets"]!.AsArray().Select(b => (b!["max_input_tokens"]!.GetValue<int>(), b["n"]!.GetValue<int>(), b["median_tokens_per_s"]!.GetValue<double>())).ToList();
        Assert.Equal(expected.Count, buckets.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Key, buckets[i].Item1);
            Assert.Equal(expected[i].Item2, buckets[i].Item2);
            Assert.Equal(expected[i].Item3, buckets[i].Item3, 1e-6);
        }
        Assert.Equal(6, result["queries"]!.GetValue<int>());
        var graded = rows.Where(row => row.GetProperty("correct").ValueKind != JsonValueKind.Null).ToList();
        var right = graded.Count(row => row.GetProperty("correct").GetBoolean());
        if (right > 0)
            Assert.Equal(graded.Sum(row => row.GetProperty("energy_j").GetDouble()) / right, result["joules_per_correct_answer"]!.GetValue<double>(), 1e-9);
        else
        {
            Assert.Null(result["joules_per_correct_answer"]);
            Assert.Equal("no correct answers", result["joules_per_correct_answer_missing_reason"]!.GetValue<string>());
        }
    }

    private static double Median(List<double> values)
    {
        var s = values.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    [Fact]
    public void The_energy_monitor_script_reads_the_counter_and_says_when_nothing_measures_energy()
    {
        IpwProcess.Result r;
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap"), 12.0))
        {
            r = IpwProcess.Run(_work.Path, ["run", Script("energy_monitor.csx"), "--", "--interval", "0.5", "--duration", "1.5"],
                new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = rapl.Root });
        }
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var watts = Regex.Matches(r.Stdout, @"package\S*=(\d+\.\d)W").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, watts.Count);
        Assert.All(watts, w => Assert.InRange(w, 10.5, 13.5));
        Assert.Matches(@"rapl\s+works", r.Stdout);
        Assert.Contains("energy: measurable here with rapl", r.Stdout);

        var none = IpwProcess.Run(_work.Path, ["run", Script("energy_monitor.csx"), "--", "--interval", "0.5", "--duration", "0.5"],
            new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = _work.Combine("no-powercap") });
        Assert.Equal(3, none.ExitCode);
        Assert.Contains("no backend read energy or power here", none.Stdout);
    }

    [Fact]
    public void A_repl_session_over_stdin_profiles_analyzes_and_keeps_its_state_through_errors()
    {
        var history = _work.Combine("history");
        using var p = IpwProcess.Start(_work.Path, ["repl", "--history", history]);
        p.StandardInput.Write("""
            var r = Profile(maxQueries: 3, maxTokens: 8, threads: 1, baseline: "0", datasetParams: new Dictionary<string, string> { ["subjects"] = "math" });
            var outcome = Analyze(r);
            outcome.Runs[0].Analyses.Count
            undefinedThing + 1
            int Twice(int x)
            {
                return 2 * x;
            }
            $"{r.Queries} queries, twice {Twice(r.Queries)}"
            throw new InvalidOperationException("on purpose");
            r.Status
            #help Compare
            #exit

            """.Replace("\r\n", "\n"));
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(3)), "the REPL did not end at #exit");
        Assert.True(p.ExitCode == 1, stderr.Result); // piped input with errors: exit 1, as a script would
        var output = stdout.Result;
        Assert.Contains("run saved to", output);
        Assert.Contains("ipw> 4\n", output);                         // four analyses ran, and the value was shown
        Assert.Contains("3 queries, twice 6", output);              // state and a multi-line method carried over
        Assert.Contains("...> ", output);                           // the method's lines continued the submission
        Assert.Contains("ipw> completed\n", output);                // the session went on after both errors
        Assert.Contains("string Compare(IEnumerable<RunHandle> runs, string outputDir = null)", output);
        Assert.Contains("(1,1): error CS0103: The name 'undefinedThing' does not exist in the current context", stderr.Result);
        Assert.Contains("ipw: script error: InvalidOperationException: on purpose", stderr.Result);
        var saved = File.ReadAllLines(history).Select(l => JsonSerializer.Deserialize<string>(l)).ToList();
        Assert.Contains("int Twice(int x)\n{\n    return 2 * x;\n}", saved);
        Assert.Equal(8, saved.Count); // each submission once: a multi-line one is one entry
    }

    [Fact]
    public void A_piped_repl_exits_0_when_clean_and_1_when_input_ends_mid_statement()
    {
        var clean = Repl("var a = 20;\na + 22\n");
        Assert.True(clean.ExitCode == 0, clean.Stderr);
        Assert.Contains("ipw> 42\n", clean.Stdout);

        var cut = Repl("var a = 20;\nint Twice(int x)\n{\n    return 2 * x;\n");
        Assert.Equal(1, cut.ExitCode);
        Assert.Contains("ipw repl: input ended inside an unfinished statement (from 'int Twice(int x)'); it was not run", cut.Stderr);
    }

    private IpwProcess.Result Repl(string input)
    {
        using var p = IpwProcess.Start(_work.Path, ["repl", "--history", _work.Combine("history-" + Guid.NewGuid().ToString("N"))]);
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "the REPL did not end with its input");
        return new IpwProcess.Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Compile_errors_exit_2_with_file_line_and_column()
    {
        File.WriteAllText(_work.Combine("bad.csx"), "var a = 1;\nvar b = a +;\nConsole.WriteLine(b);\n");
        var r = IpwProcess.Run(_work.Path, ["run", "bad.csx"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("bad.csx:2:12: error CS1525: Invalid expression term ';'", r.Stderr.Trim());
        Assert.Equal("", r.Stdout);

        File.WriteAllText(_work.Combine("lib.csx"), "int Twice(int x) => x * 2;\nstring Broken() => 42;\n");
        File.WriteAllText(_work.Combine("main.csx"), "#load \"lib.csx\"\nConsole.WriteLine(Twice(2));\n");
        var loaded = IpwProcess.Run(_work.Path, ["run", "main.csx"]);
        Assert.Equal(2, loaded.ExitCode);
        Assert.StartsWith("lib.csx:2:20: error CS0029:", loaded.Stderr.Trim());
    }

    [Fact]
    public void Runtime_exceptions_exit_1_with_one_line_and_the_scripts_frames()
    {
        File.WriteAllText(_work.Combine("boom.csx"), """
            void Inner(int n)
            {
                if (n > 1) throw new InvalidOperationException($"n is {n}\nsecond line");
            }
            Console.WriteLine("before");
            Inner(1);
            Inner(2);
            """.Replace("\r\n", "\n"));
        var r = IpwProcess.Run(_work.Path, ["run", "boom.csx"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("before\n", r.Stdout);
        Assert.Equal(["ipw: script error: InvalidOperationException: n is 2 second line", "  at boom.csx:3:16 in Inner", "  at boom.csx:7:1"],
            r.Stderr.Trim().Split('\n'));

        // A user error from the API (a bad option) reads like the CLI's, with where the script made the call.
        File.WriteAllText(_work.Combine("badopt.csx"), "Console.WriteLine(\"x\");\nProfile(maxQueries: 0);\n");
        var bad = IpwProcess.Run(_work.Path, ["run", "badopt.csx"]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal(["ipw: script error: --max-queries must be at least 1, got 0", "  at badopt.csx:2:1"], bad.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Args_load_references_and_the_exit_code_reach_the_script()
    {
        File.WriteAllText(_work.Combine("lib.csx"), "int Twice(int x) => x * 2;\n");
        File.WriteAllText(_work.Combine("main.csx"), """
            #load "lib.csx"
            #r "Ipw.Plugins.Http.dll"
            Console.WriteLine($"{Args.Count} args: {string.Join(" ", Args)}; twice {Twice(21)}; {typeof(Ipw.Plugins.Http.HttpPlugin).Name}");
            Console.WriteLine(string.Join(",", Clients));
            return int.Parse(Arg("--code", "0"));
            """.Replace("\r\n", "\n"));
        var r = IpwProcess.Run(_work.Path, ["run", "main.csx", "--", "--code", "5", "extra"]);
        Assert.True(r.ExitCode == 5, r.Stderr + r.Stdout);
        Assert.Contains("3 args: --code 5 extra; twice 42; HttpPlugin", r.Stdout);
        Assert.Contains("llamasharp,ollama,openai,torchsharp,vllm", r.Stdout.Replace("llamacpp,", ""));

        File.WriteAllText(_work.Combine("exit.csx"), "Console.WriteLine(\"a\");\nExit(7);\nConsole.WriteLine(\"never\");\n");
        var exit = IpwProcess.Run(_work.Path, ["run", "exit.csx"]);
        Assert.Equal(7, exit.ExitCode);
        Assert.Equal("a\n", exit.Stdout);

        var missing = IpwProcess.Run(_work.Path, ["run", "nope.csx"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("ipw: error: no script at 'nope.csx'", missing.Stderr.Trim());
    }

    [Fact]
    public void A_compiled_script_is_cached_by_content_until_it_or_what_it_loads_changes()
    {
        var cache = _work.Combine("cache");
        var env = new Dictionary<string, string> { ["IPW_CACHE_DIR"] = cache, ["IPW_DEBUG"] = "1" };
        File.WriteAllText(_work.Combine("lib.csx"), "string Greeting() => \"one\";\n");
        File.WriteAllText(_work.Combine("main.csx"), "#load \"lib.csx\"\nConsole.WriteLine(Greeting());\nthrow new Exception(\"x\");\n");

        var first = IpwProcess.Run(_work.Path, ["run", "main.csx"], env);
        Assert.Contains("ipw: script compiled", first.Stderr);
        var second = IpwProcess.Run(_work.Path, ["run", "main.csx"], env);
        Assert.Contains("ipw: script from the cache", second.Stderr);
        Assert.Equal("one\n", second.Stdout);
        // The cached assembly keeps its line numbers.
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("  at main.csx:3:1", second.Stderr);

        File.WriteAllText(_work.Combine("lib.csx"), "string Greeting() => \"two\";\n");
        var changed = IpwProcess.Run(_work.Path, ["run", "main.csx"], env);
        Assert.Contains("ipw: script compiled", changed.Stderr);
        Assert.Equal("two\n", changed.Stdout);

        env["IPW_SCRIPT_CACHE"] = "0";
        var off = IpwProcess.Run(_work.Path, ["run", "main.csx"], env);
        Assert.Contains("ipw: script compiled", off.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
