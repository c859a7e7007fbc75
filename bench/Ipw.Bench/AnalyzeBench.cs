using System.Diagnostics;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Runs;

/// <summary>A synthetic run of many queries (known relations plus noise, some energy missing), then `ipw analyze` and
/// `ipw plot` on it as a user runs them: wall time and peak memory of the whole process.</summary>
internal static class AnalyzeBench
{
    public static void Run(string ipw, int queries)
    {
        var dir = Directory.CreateTempSubdirectory("ipw-bench-analyze-").FullName;
        try
        {
            var sw = Stopwatch.StartNew();
            string path;
            if (Environment.GetEnvironmentVariable("IPW_BENCH_RUN") is { } existing) { path = existing; goto measure; }
            using (var run = RunStore.Create(dir, "bench-hw", "bench-model"))
            {
                path = run.Path;
                var rng = new Random(3);
                var batch = new List<QueryRecord>(2048);
                string[] subjects = ["math", "knowledge", "logic", "extraction", "summarization", "chat"];
                for (var i = 0; i < queries; i++)
                {
                    var input = 20 + rng.Next(4000);
                    var output = 1 + rng.Next(512);
                    var ttft = 0.02 + 0.0004 * input * (1 + 0.05 * rng.NextDouble());
                    var e2e = ttft + 0.012 * output * (1 + 0.05 * rng.NextDouble());
                    double? energy = i % 50 == 0 ? null : 0.3 * (input + output) * 0.01 + rng.NextDouble();
                    var subject = subjects[i % subjects.Length];
                    batch.Add(QueryRecord.Of(
                        RecordColumns.QueryIndex.With(i),
                        RecordColumns.ItemId.With($"q{i}"),
                        RecordColumns.Dataset.With("bench"),
                        RecordColumns.Subject.With(subject),
                        RecordColumns.Client.With("bench"),
                        RecordColumns.Model.With("bench-model"),
                        RecordColumns.Prompt.With("p"),
                        RecordColumns.Response.With("r"),
                        RecordColumns.Status.With("ok"),
                        RecordColumns.InputTokens.With(input),
                        RecordColumns.OutputTokens.With(output),
                        RecordColumns.TtftS.With(ttft),
                        RecordColumns.E2eLatencyS.With(e2e),
                        RecordColumns.DecodeTokensPerS.With(output / (e2e - ttft)),
                        RecordColumns.TpotS.With((e2e - ttft) / output),
                        RecordColumns.ItlP50S.With((e2e - ttft) / output),
                        RecordColumns.ItlP99S.With(1.5 * (e2e - ttft) / output),
                        RecordColumns.EnergyJ.With(energy),
                        RecordColumns.AvgPowerW.With(energy is null ? null : 250 + 50 * rng.NextDouble()),
                        RecordColumns.Correct.With(subject == "chat" ? null : rng.NextDouble() < 0.6),
                        RecordColumns.Grader.With(subject == "chat" ? null : "exact")
                    ));
                    if (batch.Count == 2048) { run.Append(batch); batch.Clear(); }
                }
                if (batch.Count > 0) run.Append(batch);
                run.WriteSummary(new Ipw.Core.Summary.RunSummary { Status = "completed", Counts = new(queries, queries, queries, 0, null) });
            }
            Console.WriteLine($"analyze: wrote a {queries:N0}-query run ({new FileInfo(Path.Combine(path, RunStore.DataFileName)).Length / 1048576.0:F0} MiB) in {sw.Elapsed.TotalSeconds:F1} s");
        measure:
            // In-process stages, to see where the time goes.
            {
                var t = Stopwatch.StartNew();
                var view = Ipw.Core.Analysis.RunView.Open(path);
                var open = t.Elapsed.TotalSeconds;
                t.Restart();
                view = Ipw.Core.Analysis.RunView.Open(path);
                Console.WriteLine($"analyze in process: open {open:F2} s cold, {t.Elapsed.TotalSeconds:F2} s again (JIT done)");
                var stages = new List<string> { $"open {open:F2} s (heap {GC.GetTotalMemory(false) / 1048576.0:F0} MiB)" };
                foreach (var (name, analysis) in new (string, Ipw.Abstractions.IAnalysis)[]
                {
                    ("efficiency", new Ipw.Plugins.Analysis.EfficiencyAnalysis()), ("latency", new Ipw.Plugins.Analysis.LatencyAnalysis()),
                    ("regression", new Ipw.Plugins.Analysis.RegressionAnalysis()),
                })
                {
                    t.Restart();
                    analysis.RunAsync(new Ipw.Abstractions.AnalysisContext([view], new ArtifactFolder(Path.Combine(path, "analysis"))), default).GetAwaiter().GetResult();
                    stages.Add($"{name} {t.Elapsed.TotalSeconds:F2} s");
                }
                Console.WriteLine("analyze in process: " + string.Join(", ", stages));
            }
            for (var k = 0; k < 3; k++)
            {
                var (wall, peak, output) = Measure(ipw, ["analyze", path]);
                Console.WriteLine($"analyze {queries:N0} queries: {wall:F2} s wall, peak RSS {peak / 1024.0:F0} MiB{(k == 0 ? "" : "")}");
                if (k == 0 && !output.Contains("efficiency", StringComparison.Ordinal)) Console.WriteLine(output);
            }
            for (var k = 0; k < 3; k++)
            {
                var (wall, peak, output) = Measure(ipw, ["plot", path]);
                Console.WriteLine($"plot {queries:N0} queries: {wall:F2} s wall, peak RSS {peak / 1024.0:F0} MiB");
                if (k == 0 && !output.Contains("latency_cdf", StringComparison.Ordinal)) Console.WriteLine(output);
            }
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("IPW_BENCH_KEEP") is null) Directory.Delete(dir, recursive: true);
            else Console.WriteLine($"kept {dir}");
        }
    }

    /// <summary>Wall time and peak RSS (KiB, from /usr/bin/time's format) of one ipw command.</summary>
    internal static (double Wall, long PeakKiB, string Output) Measure(string ipw, string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/time", ["-f", "%e %M", ipw, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var last = stderr.Trim().Split('\n')[^1].Split(' ');
        return (double.Parse(last[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(last[1], System.Globalization.CultureInfo.InvariantCulture), stdout.Result + stderr);
    }
}
