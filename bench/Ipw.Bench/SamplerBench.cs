using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Telemetry;
using Ipw.Plugins.Energy;

/// <summary>Issue 4's benchmark: the telemetry sampler's CPU cost and lateness with real backends
/// (system from /proc, NVML through the stand-in with 2 GPUs, RAPL through a powercap tree).</summary>
internal static class SamplerBench
{
    public static void Run(string root)
    {
        var standin = Path.Combine(root, "artifacts", "native", "nvml-standin", "libnvidia-ml.so.1");
        var powercap = Directory.CreateTempSubdirectory("ipw-bench-powercap-").FullName;
        var pkg = Path.Combine(powercap, "intel-rapl:0");
        Directory.CreateDirectory(pkg);
        File.WriteAllText(Path.Combine(pkg, "name"), "package-0\n");
        File.WriteAllText(Path.Combine(pkg, "energy_uj"), "123456789\n");
        File.WriteAllText(Path.Combine(pkg, "max_energy_range_uj"), "262143328850\n");
        if (File.Exists(standin)) Environment.SetEnvironmentVariable("IPW_NVML_LIBRARY", standin);
        // The process's own background CPU (runtime threads) with no sampler, subtracted below.
        var idleCpu = Environment.CpuUsage.TotalTime;
        var idleWall = Stopwatch.StartNew();
        Thread.Sleep(10_000);
        var baseline = (Environment.CpuUsage.TotalTime - idleCpu).TotalSeconds / idleWall.Elapsed.TotalSeconds;
        Console.WriteLine($"sampler baseline: the idle bench process uses {100 * baseline:F3} % of one core");
        // Cost of one read of each source, in CPU time.
        foreach (var (name, source) in new List<(string, ITelemetrySource)> { ("rapl", new RaplSource(powercap)), ("system", SystemSourceFactory()), ("nvml", new NvmlSource(TelemetrySourceOptions.Default)) })
        {
            var n = source.Probe().Metrics.Count;
            var values = new double[n];
            for (var i = 0; i < 100; i++) source.Read(values);
            var before = Environment.CpuUsage.TotalTime;
            for (var i = 0; i < 2000; i++) source.Read(values);
            Console.WriteLine($"  one read of {name} ({n} metrics): {(Environment.CpuUsage.TotalTime - before).TotalMicroseconds / 2000:F1} µs of CPU");
            source.Dispose();
        }
        // The floor under any sampler: what waking a sleeping thread costs here, with no work done.
        foreach (var perSecond in new[] { 20, 100 }) WakeCost(perSecond, baseline);
        // Current-at-read counters only (RAPL, /proc): one wake per sample. With a stepped counter (NVML) the session
        // also reads it alone between samples to place its steps (CounterClock.PlacingReads), one wake each.
        Sample(50, baseline, [("rapl", () => new RaplSource(powercap)), ("system", SystemSourceFactory)]);
        if (File.Exists(standin))
        {
            Sample(50, baseline, [("rapl", () => new RaplSource(powercap)), ("system", SystemSourceFactory), ("nvml", () => new NvmlSource(TelemetrySourceOptions.Default))]);
            Sample(10, baseline, [("rapl", () => new RaplSource(powercap)), ("system", SystemSourceFactory), ("nvml", () => new NvmlSource(TelemetrySourceOptions.Default))]);
        }
        Directory.Delete(powercap, true);
    }

    private static void Sample(int interval, double baseline, (string Name, Func<ITelemetrySource> Create)[] sources)
    {
        var list = sources.Select(s => (s.Name, s.Create())).ToList();
        using var session = new TelemetrySession(list, TimeSpan.FromMilliseconds(interval));
        var lateness = new List<double>(2048);
        var counterReads = 0L;
        var lastCounterRead = long.MinValue;
        session.OnLateness = t => { lock (lateness) lateness.Add(t.TotalMilliseconds); };
        session.OnCounterRead = (t, _, _) =>
        {
            if (t == lastCounterRead) return;
            lastCounterRead = t;
            Interlocked.Increment(ref counterReads);
        };
        Thread.Sleep(3000); // past start-up and tiered JIT recompilation of the sampling loop
        lock (lateness) lateness.Clear();
        Interlocked.Exchange(ref counterReads, 0);
        var samples = session.SampleCount;
        var cpu = Environment.CpuUsage.TotalTime;
        var wall = Stopwatch.StartNew();
        Thread.Sleep(10_000);
        var used = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds;
        var seconds = wall.Elapsed.TotalSeconds;
        var reads = Interlocked.Read(ref counterReads);
        var wakes = (session.SampleCount - samples + reads) / seconds;
        double[] sorted;
        lock (lateness) sorted = lateness.Order().ToArray();
        var stepped = session.CounterReadInterval is { } every ? $"; stepped counters read alone every {every.TotalMilliseconds:0.#} ms on average: {reads / seconds:0} reads/s" : "";
        Console.WriteLine($"sampler at {interval} ms ({session.Metrics.Count} metrics from {string.Join(", ", list.Select(s => s.Item1))}{stepped}): " +
                          $"{100 * (used / seconds - baseline):F3} % of one core above idle ({wakes:0} wakes/s), lateness (negative: early) p50 {sorted[sorted.Length / 2]:F3} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:F3} ms, " +
                          $"max read {session.MaxReadLatency.TotalMilliseconds:F3} ms, {sorted.Length} samples");
    }

    /// <summary>A thread that only sleeps and wakes, <paramref name="perSecond"/> times a second for 5 s: the CPU each wake
    /// costs (the kernel's and, in a VM, the hypervisor's share, counted in the process's CPU time).</summary>
    private static void WakeCost(int perSecond, double baseline)
    {
        var wakes = 0;
        var cpu = Environment.CpuUsage.TotalTime;
        var wall = Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            var wait = TimeSpan.FromSeconds(1.0 / perSecond);
            while (wall.Elapsed.TotalSeconds < 5)
            {
                Thread.Sleep(wait);
                wakes++;
            }
        });
        thread.Start();
        thread.Join();
        var used = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds - baseline * wall.Elapsed.TotalSeconds;
        Console.WriteLine($"  a thread that only sleeps, {perSecond} wakes/s: {100 * used / wall.Elapsed.TotalSeconds:F3} % of one core, {1e6 * used / wakes:0} µs of CPU per wake");
    }

    private static ITelemetrySource SystemSourceFactory()
    {
        ITelemetrySource? created = null;
        new Ipw.Plugins.SystemTelemetry.SystemTelemetryPlugin().Register(new Capture(s => created = s));
        return created!;
    }

    private sealed class Capture(Action<ITelemetrySource> onSource) : IPluginRegistry
    {
        public void AddClient(ClientDescriptor descriptor) { }
        public void AddDataset(DatasetDescriptor descriptor) { }
        public void AddTelemetrySource(TelemetrySourceDescriptor descriptor) => onSource(descriptor.Create(TelemetrySourceOptions.Default));
        public void AddAnalysis(AnalysisDescriptor descriptor) { }
        public void AddVisualization(VisualizationDescriptor descriptor) { }
    }
}
