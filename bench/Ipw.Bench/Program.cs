using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Runs;

// ipw benchmarks: whole-process and in-process measurements, printed as plain lines.
//   dotnet run --project bench/Ipw.Bench -c Release -- [cold-start|record-write|rss|sampler|client-parse|client-ttft|client-alloc|wire-timing|streams [--keep-text false]|rate|memory|energy-truth [--update-docs]|datasets|analyze|export|tui|scripts|prometheus|engines|all|soak [--minutes 10] [--concurrency 1000]|workers [--rates 500,1000] [--workers 1,2]|chunks [--queries 2000]|ttft-excess [--concurrency 1,32,128,256] [--pin]|wire-ttft [--concurrency 1,8,64] [--max-tokens 32] [--reuse auto,yes,no] [--pin]] [--queries N] [--format jsonl|csv|hf|parquet|ipw|all] [--rates 100,250] [--telemetry system|none] [--workload ipw|short]
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var queries = args.SkipWhile(a => a != "--queries").Skip(1).Select(int.Parse).FirstOrDefault(10_000);
var root = FindRoot();
var config = typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "IpwConfiguration").Value!;
var ipw = Path.Combine(root, "artifacts", config, "ipw");
Console.WriteLine($"ipw bench · {config} build · {Environment.ProcessorCount} cores · {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

if (which is "cold-start" or "all") ColdStart(ipw);
if (which is "record-write" or "all") RecordWrite(which == "record-write" && args.Contains("--queries") ? queries : 10_000);
if (which is "rss" or "all") PeakRss(ipw, queries);
if (which is "sampler" or "all") SamplerBench.Run(root);
if (which is "client-parse" or "all") ClientBench.ParseThroughput();
if (which is "client-ttft" or "all")
{
    ClientBench.TtftOverhead(requests: 500);
    ClientBench.TtftOverheadOutOfProcess(Path.Combine(root, "tests", "Ipw.TestServer", "bin", config, "net10.0", "Ipw.TestServer.dll"), requests: 500);
}
var serverDll = Path.Combine(root, "tests", "Ipw.TestServer", "bin", config, "net10.0", "Ipw.TestServer.dll");
var rates = args.SkipWhile(a => a != "--rates").Skip(1).Select(r => r.Split(',').Select(double.Parse).ToArray()).FirstOrDefault([100, 250, 500, 750]);
var telemetry = args.SkipWhile(a => a != "--telemetry").Skip(1).FirstOrDefault("system");
if (which is "client-alloc") LoadBench.ClientAllocation(serverDll);
if (which is "wire-timing" or "all") WireTimingBench.Run(serverDll);
var datasetFormat = args.SkipWhile(a => a != "--format").Skip(1).FirstOrDefault("all");
if (which is "datasets" or "jsonl" or "all")
    DatasetBench.Run(which == "jsonl" ? "jsonl" : datasetFormat, which != "all" && args.Contains("--queries") ? queries : 1_000_000);
var workload = args.SkipWhile(a => a != "--workload").Skip(1).FirstOrDefault("ipw");
var keepText = args.SkipWhile(a => a != "--keep-text").Skip(1).FirstOrDefault("true") != "false";
if (which is "streams" or "all") LoadBench.Streams(serverDll, rates, seconds: 10, telemetry, workload, keepText);
if (which is "chunks")
    ChunkBench.Run(ipw, root, args.SkipWhile(a => a != "--queries").Skip(1).Select(int.Parse).FirstOrDefault(2000), concurrency: 64, maxTokens: 500, rounds: 3);
if (which is "ttft-excess")
    TtftExcessBench.Run(ipw, root, args.SkipWhile(a => a != "--concurrency").Skip(1).Select(w => w.Split(',').Select(int.Parse).ToArray()).FirstOrDefault([1, 32, 128, 256]), pin: args.Contains("--pin"));
if (which is "wire-ttft")
    WireTtftBench.Run(ipw, root, args.SkipWhile(a => a != "--concurrency").Skip(1).Select(w => w.Split(',').Select(int.Parse).ToArray()).FirstOrDefault([1, 8, 64]),
        maxTokens: args.SkipWhile(a => a != "--max-tokens").Skip(1).Select(int.Parse).FirstOrDefault(32),
        reuse: args.SkipWhile(a => a != "--reuse").Skip(1).Select(r => r.Split(',')).FirstOrDefault(["auto"]), pin: args.Contains("--pin"));
if (which is "workers")
    WorkerBench.Run(ipw, serverDll, rates, args.SkipWhile(a => a != "--workers").Skip(1).Select(w => w.Split(',').Select(int.Parse).ToArray()).FirstOrDefault([1, 2]), seconds: 10);
if (which is "rate" or "all") LoadBench.RateAccuracy(serverDll, rate: 20, seconds: 60);
if (which is "memory" or "all") LoadBench.Memory(serverDll, which == "memory" && args.Contains("--queries") ? queries : 100_000);
if (which is "energy-truth" or "all") EnergyTruthBench.Run(root, args.Contains("--update-docs"));
if (which is "scripts" or "all") ScriptBench.Run(ipw);
if (which is "prometheus" or "all") PrometheusBench.Run(ipw);
if (which is "engines" or "all") EngineBench.Run(ipw, root);
if (which is "tui" or "all") TuiBench.Run(ipw, serverDll, rate: 50, seconds: int.TryParse(Environment.GetEnvironmentVariable("IPW_BENCH_SECONDS"), out var bs) ? bs : 20, rounds: int.TryParse(Environment.GetEnvironmentVariable("IPW_BENCH_ROUNDS"), out var r) ? r : 3);
// The soak is minutes long and not part of "all".
if (which is "soak")
    SoakBench.Run(ipw, serverDll, args.SkipWhile(a => a != "--minutes").Skip(1).Select(double.Parse).FirstOrDefault(10),
        args.SkipWhile(a => a != "--concurrency").Skip(1).Select(int.Parse).FirstOrDefault(1000));
if (which is "analyze" or "all") AnalyzeBench.Run(ipw, which == "analyze" && args.Contains("--queries") ? queries : 1_000_000);
if (which is "export" or "all") ExportBench.Run(ipw, which == "export" && args.Contains("--queries") ? queries : 1_000_000);
return 0;

static void ColdStart(string ipw)
{
    // Whole process, as a user meets it: exec to exit of 'ipw list all', after one warm-up run.
    var times = new List<double>();
    for (var i = 0; i < 11; i++)
    {
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(new ProcessStartInfo(ipw, "list all") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("ipw list all failed");
        if (i > 0) times.Add(sw.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    Console.WriteLine($"cold start 'ipw list all': median {times[times.Count / 2]:F0} ms, min {times[0]:F0} ms, max {times[^1]:F0} ms (n={times.Count})");
}

static void RecordWrite(int n)
{
    // One realistic record (prompt ~600 chars, response ~500) appended and committed to the file per call.
    var dir = Directory.CreateTempSubdirectory("ipw-bench-").FullName;
    try
    {
        var run = RunStore.Create(dir, "bench", "bench");
        var prompt = string.Concat(Enumerable.Repeat("How many letters are in the word lantern? ", 14));
        var response = string.Concat(Enumerable.Repeat("The answer is seven letters. ", 17));
        QueryRecord Make(int i) => QueryRecord.Of(
            RecordColumns.QueryIndex.With(i),
            RecordColumns.ItemId.With($"item-{i}"),
            RecordColumns.Dataset.With("ipw"),
            RecordColumns.Subject.With("math"),
            RecordColumns.Client.With("llamasharp"),
            RecordColumns.Model.With("ipw-tiny"),
            RecordColumns.Prompt.With(prompt),
            RecordColumns.Reference.With("7"),
            RecordColumns.Grader.With("numeric"),
            RecordColumns.Response.With(response),
            RecordColumns.Status.With("ok"),
            RecordColumns.FinishReason.With("length"),
            RecordColumns.InputTokens.With(150),
            RecordColumns.OutputTokens.With(128),
            RecordColumns.TokenCountSource.With("engine"),
            RecordColumns.StartedAt.With("2026-01-01T00:00:00.0000000+00:00"),
            RecordColumns.SentAtS.With(i),
            RecordColumns.CompletedAtS.With(i + 0.5),
            RecordColumns.TtftS.With(0.01),
            RecordColumns.E2eLatencyS.With(0.5),
            RecordColumns.DecodeTokensPerS.With(1500),
            RecordColumns.TpotS.With(0.0007),
            RecordColumns.ItlP50S.With(0.0006),
            RecordColumns.ItlP99S.With(0.001),
            RecordColumns.ServerPromptEvalS.With(0.01),
            RecordColumns.ServerEvalS.With(0.49),
            RecordColumns.ProcessCpuS.With(0.5),
            RecordColumns.ProcessRssBytes.With(100_000_000),
            RecordColumns.SystemCpuUtilization.With(0.5),
            RecordColumns.SystemMemoryUsedBytes.With(1_000_000_000),
            RecordColumns.EnergyMissingReason.With("no energy counter on this machine"),
            RecordColumns.PowerMissingReason.With("no power reading"),
            RecordColumns.TemperatureMissingReason.With("no sensor")
        );
        for (var i = 0; i < 500; i++) run.Append(Make(i)); // warm-up (JIT, buffers)
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) run.Append(Make(500 + i));
        sw.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        // Under load the writer appends what completed together: batches of 32.
        var batchAllocated = GC.GetAllocatedBytesForCurrentThread();
        var batchWatch = Stopwatch.StartNew();
        for (var b = 0; b < 100; b++) run.Append(Enumerable.Range(0, 32).Select(k => Make(1_000_000 + b * 32 + k)).ToList());
        batchWatch.Stop();
        batchAllocated = GC.GetAllocatedBytesForCurrentThread() - batchAllocated;
        Console.WriteLine($"record write in batches of 32: {batchWatch.Elapsed.TotalMicroseconds / 3200:F1} µs and {batchAllocated / 3200 / 1024.0:F1} KiB allocated per record");
        var data = Path.Combine(run.Path, RunStore.DataFileName);
        var bytes = new FileInfo(data).Length;
        var writing = sw.Elapsed;
        var hwmBefore = Status(Environment.ProcessId, "VmHWM:");
        sw.Restart();
        run.Dispose(); // compacts into batches of 2,048 rows
        var compact = sw.Elapsed;
        Console.WriteLine($"record write: {writing.TotalMicroseconds / n:F1} µs per record ({n} records, one batch and one write each), " +
                          $"{allocated / n / 1024.0:F1} KiB allocated per record, {bytes / (n + 500.0) / 1024:F2} KiB on disk per record; " +
                          $"compaction on close {compact.TotalMilliseconds:F0} ms, then {new FileInfo(data).Length / (n + 500.0) / 1024:F2} KiB per record; " +
                          $"peak RSS {hwmBefore / 1048576.0:F0} MiB before closing, {Status(Environment.ProcessId, "VmHWM:") / 1048576.0:F0} MiB after");
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}

static void PeakRss(string ipw, int queries)
{
    // A long real run on the built-in model: short prompts and 8 tokens keep it to minutes.
    // RSS is sampled every second; it must level off, not grow with the number of queries.
    var dir = Directory.CreateTempSubdirectory("ipw-bench-rss-").FullName;
    try
    {
        var repeat = (int)Math.Ceiling(queries / 150.0) + 1;
        var psi = new ProcessStartInfo(ipw)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        foreach (var a in new[] { "profile", "--max-queries", queries.ToString(CultureInfo.InvariantCulture), "--max-tokens", "8", "--threads", "1",
                     "--warmup", "0", "--progress", "none", "--output-dir", "runs", "--dataset-option", "subjects=math,knowledge,logic,chat",
                     "--dataset-option", $"repeat={repeat}" })
            psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var samples = new List<(double T, long Rss, long Done)>();
        while (!p.WaitForExit(1000))
        {
            var rss = Status(p.Id, "VmRSS:");
            var data = Directory.Exists(Path.Combine(dir, "runs")) ? Directory.GetFiles(Path.Combine(dir, "runs"), RunStore.DataFileName, SearchOption.AllDirectories).FirstOrDefault() : null;
            samples.Add((sw.Elapsed.TotalSeconds, rss, data is null ? 0 : new FileInfo(data).Length));
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"profile failed: {stderr.Result}");
        Console.WriteLine($"peak RSS over {queries} queries ({sw.Elapsed.TotalSeconds:F0} s):");
        foreach (var fraction in new[] { 0.1, 0.25, 0.5, 0.75, 1.0 })
        {
            var s = samples[Math.Clamp((int)(fraction * samples.Count) - 1, 0, samples.Count - 1)];
            Console.WriteLine($"  at {s.T,5:F0} s: RSS {s.Rss / 1024.0 / 1024:F1} MiB, data file {s.Done / 1024.0 / 1024:F1} MiB");
        }
        Console.WriteLine($"  max sampled RSS {samples.Max(s => s.Rss) / 1024.0 / 1024:F1} MiB; {stdout.Result.Split('\n').FirstOrDefault(l => l.StartsWith("completed", StringComparison.Ordinal))}");
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}

static long Status(int pid, string key)
{
    try
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
    catch (IOException) { return 0; }
}

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ipw.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository");
}

internal static class Paths;
