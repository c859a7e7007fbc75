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
        var sources = new List<Func<(string, ITelemetrySource)>>();
        var powercap = Directory.CreateTempSubdirectory("ipw-bench-powercap-").FullName;
        var pkg = Path.Combine(powercap, "intel-rapl:0");
        Directory.CreateDirectory(pkg);
        File.WriteAllText(Path.Combine(pkg, "name"), "package-0\n");
        File.WriteAllText(Path.Combine(pkg, "energy_uj"), "123456789\n");
        File.WriteAllText(Path.Combine(pkg, "max_energy_range_uj"), "262143328850\n");
        var systemPlugin = typeof(Ipw.Plugins.SystemTelemetry.SystemTelemetryPlugin);
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
        foreach (var interval in new[] { 50, 10 })
        {
            var list = new List<(string, ITelemetrySource)> { ("rapl", new RaplSource(powercap)), ("system", SystemSourceFactory()) };
            if (File.Exists(standin)) list.Add(("nvml", new NvmlSource(TelemetrySourceOptions.Default)));
            using var session = new TelemetrySession(list, TimeSpan.FromMilliseconds(interval));
            var lateness = new List<double>(2048);
            session.OnLateness = t => { lock (lateness) lateness.Add(t.TotalMilliseconds); };
            Thread.Sleep(3000); // past start-up and tiered JIT recompilation of the sampling loop
            lock (lateness) lateness.Clear();
            var cpu = Environment.CpuUsage.TotalTime;
            var wall = Stopwatch.StartNew();
            Thread.Sleep(10_000);
            var used = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds;
            var seconds = wall.Elapsed.TotalSeconds;
            double[] sorted;
            lock (lateness) sorted = lateness.Order().ToArray();
            Console.WriteLine($"sampler at {interval} ms ({session.Metrics.Count} metrics from {string.Join(", ", list.Select(s => s.Item1))}): " +
                              $"{100 * (used / seconds - baseline):F3} % of one core above idle, lateness (negative: early) p50 {sorted[sorted.Length / 2]:F3} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:F3} ms, " +
                              $"max read {session.MaxReadLatency.TotalMilliseconds:F3} ms, {sorted.Length} samples");
        }
        Directory.Delete(powercap, true);
        _ = systemPlugin;
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
