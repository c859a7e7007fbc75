using System.Diagnostics;
using System.Text.Json;
using Ipw.Attribution;
using Ipw.Core.Energy;
using Ipw.Core.Plugins;
using Ipw.Core.Profiling;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Testing;
using Ipw.TestServer;

/// <summary>
/// The load generator against the test server's fastest mode (canned tokens, plain timers), the server in its
/// own process on its own core and the harness pinned to one core: the rate and number of concurrent streams
/// the harness sustains, with its send lag; open-loop rate accuracy over 60 s; memory over 100,000 queries;
/// and attribution error against the scripted ground truth.
/// </summary>
internal static class LoadBench
{
    internal sealed class Server : IDisposable
    {
        private readonly Process _process;
        public Uri Url { get; }

        public Server(string dll, int? core)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            psi.ArgumentList.Add(dll);
            psi.Environment["IPW_CACHE_DIR"] = Directory.CreateTempSubdirectory("ipw-bench-cache-").FullName;
            psi.Environment["DOTNET_gcServer"] = "0";
            psi.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"); // the server keeps the runtime's defaults
            _process = Process.Start(psi)!;
            Url = new Uri(_process.StandardOutput.ReadLine()!.Split(' ')[1]);
            if (core is { } c && Environment.ProcessorCount > c && OperatingSystem.IsLinux()) _process.ProcessorAffinity = (IntPtr)(1L << c);
        }

        public void Behave(Behaviour b)
        {
            _process.StandardInput.WriteLine("behaviour " + JsonSerializer.Serialize(b));
            _process.StandardOutput.ReadLine();
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.WriteLine("quit");
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
            catch (IOException) { _process.Kill(); }
            _process.Dispose();
        }
    }

    private static PluginRegistries Registries()
    {
        var registries = new PluginRegistries();
        registries.RegisterInProcess(new Ipw.Plugins.Http.HttpPlugin());
        registries.RegisterInProcess(new Ipw.Plugins.Datasets.DatasetsPlugin());
        registries.RegisterInProcess(new Ipw.Plugins.SystemTelemetry.SystemTelemetryPlugin());
        registries.RegisterInProcess(new Ipw.Plugins.Graders.GradersPlugin());
        return registries;
    }

    private static ProfileOptions Options(Uri url, string output) => new()
    {
        Client = "openai",
        BaseUrl = url.ToString(),
        Model = InferenceServer.ModelName,
        Dataset = "ipw",
        Warmup = 0,
        Baseline = TimeSpan.Zero,
        OutputDir = output,
        MaxTokens = 256,
        TelemetrySources = ["system"],
        Arrival = Arrival.Constant,
    };

    private static JsonElement Summary(ProfileOutcome o) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(o.RunPath, RunStore.SummaryFileName))).RootElement;

    private static double? Number(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        }
        return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : null;
    }

    /// <summary>Open loop at rising rates with 2 s streams: in-flight streams = rate × 2 s.</summary>
    /// <param name="workload"><c>ipw</c>: the built-in workload (prompts up to 15 k characters, so a query's allocation
    /// includes its prompt); <c>short</c>: synthetic 32-token prompts, so it is the harness's own.</param>
    public static void Streams(string serverDll, double[] rates, double seconds, string telemetry = "system", string workload = "ipw", bool keepText = true)
    {
        using var server = new Server(serverDll, core: 1);
        // 20 chunks 100 ms apart after a 100 ms first token: each stream lives about 2 s.
        server.Behave(new Behaviour { CannedTokens = 20, FirstTokenDelay = TimeSpan.FromMilliseconds(100), InterChunkDelay = TimeSpan.FromMilliseconds(100), ExactTiming = false, KeepLog = false });
        Pin(0);
        var output = Directory.CreateTempSubdirectory("ipw-bench-load-").FullName;
        try
        {
            using var sampler = Environment.GetEnvironmentVariable("IPW_BENCH_ALLOCATIONS") == "1" ? new AllocationSampler() : null;
            foreach (var rate in rates)
            {
                var o = new Profiler(Registries()).RunAsync(Options(server.Url, output) with
                {
                    Rate = rate,
                    Duration = TimeSpan.FromSeconds(seconds),
                    TelemetrySources = telemetry == "none" ? [] : telemetry.Split(','),
                    Dataset = workload == "short" ? "synthetic" : "ipw",
                    KeepText = keepText,
                    DatasetSettings = workload == "short"
                        ? new Dictionary<string, string> { ["count"] = "1000", ["input_tokens"] = "32", ["output_tokens"] = "20" }
                        : new Dictionary<string, string>(),
                }).GetAwaiter().GetResult();
                var s = Summary(o);
                var load = s.GetProperty("load");
                Console.WriteLine($"open loop {rate}/s for {seconds} s ({workload} workload, text {(keepText ? "kept" : "not kept")}, 2 s streams, harness on 1 core): achieved {Number(load, "achieved_rate_per_s"):F1}/s, "
                    + $"max in flight {Number(load, "max_in_flight")}, send lag p50 {Number(load, "send_lag_s", "p50") * 1000:F2} ms p99 {Number(load, "send_lag_s", "p99") * 1000:F2} ms, "
                    + $"harness CPU {Number(load, "harness", "process_cpu_cores"):F2} cores, GC {Number(load, "harness", "gc_collections")} collections pausing {Number(load, "harness", "gc_pause_s") * 1000:F0} ms, {Number(load, "harness", "allocated_bytes_per_query") / 1024:F1} KiB allocated per query, errors {o.Errors}/{o.Queries}, "
                    + $"TTFT p99 {Number(s, "totals", "ttft_s", "p99") * 1000:F1} ms");
                var lags = ReadLags(o.RunPath);
                var steady = lags.Where(l => l.Scheduled >= 2).Select(l => l.Lag).Order().ToList();
                var first = lags.Where(l => l.Scheduled < 2).Select(l => l.Lag).Order().ToList();
                if (steady.Count > 0 && first.Count > 0)
                    Console.WriteLine($"  send lag p99 in the first 2 s {first[(int)(0.99 * (first.Count - 1))] * 1000:F2} ms, after them {steady[(int)(0.99 * (steady.Count - 1))] * 1000:F2} ms "
                        + $"(p99.9 {steady[(int)(0.999 * (steady.Count - 1))] * 1000:F2} ms, max {steady[^1] * 1000:F2} ms)");
                foreach (var w in load.GetProperty("warnings").EnumerateArray()) Console.WriteLine($"  warning: {w.GetString()}");
            }
            if (sampler is not null) Console.WriteLine("allocation by type (sampled):\n" + sampler.Top(25));
        }
        finally
        {
            if (OperatingSystem.IsLinux()) Process.GetCurrentProcess().ProcessorAffinity = (IntPtr)((1L << Environment.ProcessorCount) - 1);
            Directory.Delete(output, recursive: true);
        }
    }

    private static List<(double Scheduled, double Lag)> ReadLags(string run)
    {
        using var stream = File.OpenRead(Path.Combine(run, RunStore.DataFileName));
        using var reader = new Apache.Arrow.Ipc.ArrowStreamReader(stream);
        var list = new List<(double, double)>();
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            var scheduled = (Apache.Arrow.DoubleArray)batch.Column("scheduled_at_s");
            var lag = (Apache.Arrow.DoubleArray)batch.Column("send_lag_s");
            var sent = (Apache.Arrow.DoubleArray)batch.Column("sent_at_s");
            for (var i = 0; i < batch.Length; i++) list.Add((scheduled.GetValue(i)!.Value - sent.GetValue(0)!.Value, lag.GetValue(i)!.Value));
        }
        return list;
    }

    /// <summary>Allocation per request of the client alone (sequential), to apportion the harness's allocation.</summary>
    public static void ClientAllocation(string serverDll)
    {
        using var server = new Server(serverDll, core: 1);
        server.Behave(new Behaviour { CannedTokens = 20, ExactTiming = false, KeepLog = false });
        var client = new Ipw.Plugins.Http.OpenAiClient(Ipw.Plugins.Http.OpenAiFlavor.OpenAi,
            new Ipw.Abstractions.ClientOptions(InferenceServer.ModelName, server.Url.ToString(), new Dictionary<string, string>()));
        client.PrepareAsync(CancellationToken.None).GetAwaiter().GetResult();
        var request = new Ipw.Abstractions.InferenceRequest("a", [new Ipw.Abstractions.ChatMessage("user", "Count to five.")], new Ipw.Abstractions.GenerationParameters(64, 0.8, 1));
        for (var i = 0; i < 200; i++) client.SendAsync(request, CancellationToken.None).GetAwaiter().GetResult();
        var before = GC.GetTotalAllocatedBytes(true);
        for (var i = 0; i < 1000; i++) client.SendAsync(request, CancellationToken.None).GetAwaiter().GetResult();
        Console.WriteLine($"client alone: {(GC.GetTotalAllocatedBytes(true) - before) / 1000 / 1024.0:F1} KiB allocated per request of 20 chunks");
    }

    /// <summary>The open-loop rate over a long run: achieved against requested, constant and Poisson.</summary>
    public static void RateAccuracy(string serverDll, double rate, double seconds)
    {
        using var server = new Server(serverDll, core: 1);
        server.Behave(new Behaviour { CannedTokens = 8, FirstTokenDelay = TimeSpan.FromMilliseconds(20), InterChunkDelay = TimeSpan.FromMilliseconds(10), ExactTiming = false, KeepLog = false });
        var output = Directory.CreateTempSubdirectory("ipw-bench-rate-").FullName;
        try
        {
            foreach (var arrival in new[] { Arrival.Constant, Arrival.Poisson })
            {
                var o = new Profiler(Registries()).RunAsync(Options(server.Url, output) with { Rate = rate, Arrival = arrival, Duration = TimeSpan.FromSeconds(seconds) })
                    .GetAwaiter().GetResult();
                var load = Summary(o).GetProperty("load");
                var achieved = Number(load, "achieved_rate_per_s")!.Value;
                Console.WriteLine($"rate accuracy, {arrival.ToString().ToLowerInvariant()} {rate}/s over {seconds} s: achieved {achieved:F3}/s ({(achieved / rate - 1) * 100:+0.00;-0.00} %), "
                    + $"sent {Number(load, "sent")}, send lag p99 {Number(load, "send_lag_s", "p99") * 1000:F2} ms");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>Memory over a long run: managed heap and working set every 10,000 queries.</summary>
    public static void Memory(string serverDll, int queries)
    {
        using var server = new Server(serverDll, core: 1);
        server.Behave(new Behaviour { CannedTokens = 4, ExactTiming = false, KeepLog = false });
        var output = Directory.CreateTempSubdirectory("ipw-bench-mem-").FullName;
        try
        {
            var observer = new MemoryObserver(Math.Max(1, queries / 10));
            var o = new Profiler(Registries()).RunAsync(Options(server.Url, output) with { Concurrency = 32, MaxQueries = queries, Duration = TimeSpan.FromHours(1) }, observer)
                .GetAwaiter().GetResult();
            Console.WriteLine($"memory over {o.Queries} queries (closed loop, 32 in flight, {o.Elapsed.TotalSeconds:F0} s): " + string.Join(", ", observer.Points));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private sealed class MemoryObserver(int every) : IProfileObserver
    {
        public List<string> Points { get; } = [];

        public void OnQueryCompleted(QueryRecord record, ProfileProgress progress)
        {
            if (progress.Done % every != 0) return;
            GC.Collect();
            Points.Add($"{progress.Done / 1000}k: heap {GC.GetTotalMemory(false) / 1048576.0:F1} MiB, RSS {Environment.WorkingSet / 1048576.0:F0} MiB");
        }
    }

    private static void Pin(int core)
    {
        if (Environment.ProcessorCount > core && OperatingSystem.IsLinux()) Process.GetCurrentProcess().ProcessorAffinity = (IntPtr)(1L << core);
    }
}

/// <summary>Samples the runtime's allocation ticks (one per ~100 KB allocated) by type: where a run's allocation goes.</summary>
internal sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly Dictionary<string, long> _bytes = [];
    private readonly Lock _sync = new();

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (!e.EventName!.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null) return;
        var type = e.Payload![e.PayloadNames.IndexOf("TypeName")]?.ToString() ?? "?";
        var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        lock (_sync) _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
    }

    public string Top(int n)
    {
        lock (_sync)
        {
            var total = _bytes.Values.Sum();
            return string.Join("\n", _bytes.OrderByDescending(p => p.Value).Take(n).Select(p => $"  {p.Value * 100.0 / total,5:F1} %  {p.Key}"));
        }
    }
}

/// <summary>
/// <c>bench workers</c>: the real binary's open loop at rising rates with 2 s streams, in one process and with
/// <c>--workers N</c>, against the test server on its own process: the streams in flight each sustains with its send
/// lag, and what the coordinator and each worker cost.
/// </summary>
internal static class WorkerBench
{
    public static void Run(string ipw, string serverDll, double[] rates, int[] workerCounts, double seconds)
    {
        using var server = new LoadBench.Server(serverDll, core: null);
        server.Behave(new Behaviour { CannedTokens = 20, FirstTokenDelay = TimeSpan.FromMilliseconds(100), InterChunkDelay = TimeSpan.FromMilliseconds(100), ExactTiming = false, KeepLog = false });
        var work = Directory.CreateTempSubdirectory("ipw-bench-workers-").FullName;
        try
        {
            foreach (var rate in rates)
                foreach (var n in workerCounts)
                {
                    var output = Path.Combine(work, $"r{rate}-w{n}");
                    var inv = System.Globalization.CultureInfo.InvariantCulture;
                    string[] args =
                    [
                        "profile", "--client", "openai", "--client-base-url", server.Url.ToString(), "--model", InferenceServer.ModelName,
                    "--dataset", "synthetic", "--dataset-option", "count=1000", "--dataset-option", "input_tokens=32", "--dataset-option", "output_tokens=20",
                    "--rate", rate.ToString(inv), "--arrival", "constant", "--duration", $"{seconds.ToString(inv)}s", "--warmup", "1", "--baseline", "0",
                    "--energy", "system", "--progress", "none", "--output-dir", output, "--workers", n.ToString(inv),
                ];
                    var psi = new ProcessStartInfo(ipw) { RedirectStandardOutput = true, RedirectStandardError = true };
                    foreach (var a in args) psi.ArgumentList.Add(a);
                    using var p = Process.Start(psi)!;
                    var stderr = p.StandardError.ReadToEndAsync();
                    p.StandardOutput.ReadToEnd();
                    p.WaitForExit();
                    if (p.ExitCode != 0) throw new InvalidOperationException($"ipw profile failed: {stderr.Result}");
                    var summary = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(output, "summary.json", SearchOption.AllDirectories).Single())).RootElement;
                    var load = summary.GetProperty("load");
                    var lag = load.GetProperty("send_lag_s");
                    var harness = load.GetProperty("harness");
                    var line = $"open loop {rate}/s for {seconds} s, 2 s streams, {(n == 1 ? "one process" : $"{n} workers")}: achieved {load.GetProperty("achieved_rate_per_s").GetDouble():F1}/s, "
                        + $"max in flight {load.GetProperty("max_in_flight").GetInt32()}, send lag p50 {lag.GetProperty("p50").GetDouble() * 1000:F2} ms p99 {lag.GetProperty("p99").GetDouble() * 1000:F2} ms, "
                        + $"{(n == 1 ? "ipw" : "coordinator")} CPU {harness.GetProperty("process_cpu_cores").GetDouble():F2} cores, {harness.GetProperty("allocated_bytes_per_query").GetInt64() / 1024.0:F1} KiB/query";
                    if (load.TryGetProperty("workers", out var workers) && workers.ValueKind == JsonValueKind.Array)
                        line += "; workers: " + string.Join(", ", workers.EnumerateArray().Select(w =>
                            $"#{w.GetProperty("worker").GetInt32()} p99 {w.GetProperty("send_lag_s").GetProperty("p99").GetDouble() * 1000:F2} ms, {w.GetProperty("process_cpu_cores").GetDouble():F2} cores, {w.GetProperty("allocated_bytes_per_query").GetInt64() / 1024.0:F1} KiB/query"));
                    Console.WriteLine(line);
                    foreach (var w in load.GetProperty("warnings").EnumerateArray()) Console.WriteLine($"  warning: {w.GetString()}");
                }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
