using System.CommandLine;
using System.Globalization;
using System.Text;
using Ipw.Abstractions;
using Ipw.Core;
using Ipw.Core.Telemetry;

namespace Ipw.Cli;

/// <summary><c>ipw energy test</c>: which telemetry this machine can collect, shown live, with a verdict per backend.</summary>
internal static class EnergyCommand
{
    public static Command Create()
    {
        var interval = new Option<double>("--interval") { Description = "seconds between printed readings", DefaultValueFactory = _ => 2.0 };
        var duration = new Option<double>("--duration") { Description = "seconds to run", DefaultValueFactory = _ => 10.0 };
        var gpus = GpuSelection.Option();
        var backend = new Option<string[]>("--backend", "--energy") { Description = "only these backends, e.g. rapl,nvml or prometheus (default: every one used by default)" };
        var load = new Option<string>("--load") { Description = "run a compute load of known work between two idle phases and show whether each backend's power responds (see 'ipw list loads'; e.g. torch)" };
        var loadParam = new Option<string[]>("--load-param") { Description = "a load setting key=value, e.g. device=cuda, size=2048, threads=4 (repeatable)", AllowMultipleArgumentsPerToken = false };
        var phase = new Option<double>("--phase") { Description = "with --load: seconds of each phase (idle, load, idle)", DefaultValueFactory = _ => 10.0 };
        var prometheus = new PrometheusOptions();
        var test = new Command("test", "Energy-monitor self-test: read every telemetry backend for a while and say which work here") { interval, duration, gpus, backend, load, loadParam, phase };
        prometheus.AddTo(test);
        test.SetAction((parse, ct) =>
        {
            var options = TelemetrySources.Options(Ipw.Core.Session.ProfileArgs.ParseGpus("--gpus", parse.GetValue(gpus)), prometheus.Settings(parse));
            var backends = Names(parse.GetValue(backend));
            var every = parse.GetValue(interval);
            var total = parse.GetValue(duration);
            if (every is <= 0 or > 3600) throw new UserError($"--interval must be between 0 and 3600 seconds, got {every}");
            if (total <= 0) throw new UserError($"--duration must be positive, got {total}");
            var settings = Ipw.Core.Session.ProfileArgs.ParseSettings("--load-param", parse.GetValue(loadParam) ?? []);
            if (parse.GetValue(load) is { } loadName)
            {
                var seconds = parse.GetValue(phase);
                if (seconds is <= 0 or > 3600) throw new UserError($"--phase must be between 0 and 3600 seconds, got {seconds}");
                return Task.FromResult(RunLoad(loadName, settings, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(every), backends, options));
            }
            if (settings.Count > 0) throw new UserError("--load-param needs --load");
            return Task.FromResult(Run(TimeSpan.FromSeconds(every), TimeSpan.FromSeconds(total), backends, options));
        });
        var listen = new Option<string>("--listen") { Description = "host:port to serve on (default loopback only; 0.0.0.0:9464 for every interface)", DefaultValueFactory = _ => "127.0.0.1:9464" };
        var node = new Option<string>("--node") { Description = "the node label on every metric", DefaultValueFactory = _ => Environment.MachineName };
        var serveBackend = new Option<string[]>("--energy", "--backend") { Description = "only these backends (default: every available one)" };
        var serveGpus = GpuSelection.Option();
        var serve = new Command("serve", "Serve this machine's energy, power, memory and temperature as Prometheus metrics (/metrics)") { listen, node, serveBackend, serveGpus };
        serve.SetAction((parse, ct) =>
        {
            var options = TelemetrySources.Options(Ipw.Core.Session.ProfileArgs.ParseGpus("--gpus", parse.GetValue(serveGpus)));
            using var stop = new CancellationTokenSource();
            using var interrupts = Interrupts.CancelOnInterrupt(stop);
            return Task.FromResult(EnergyServe.Run(parse.GetValue(listen)!, parse.GetValue(node)!, Names(parse.GetValue(serveBackend)), options, stop.Token));
        });
        return new Command("energy", "Energy telemetry tools") { test, serve };
    }

    private static List<string>? Names(string[]? values) =>
        values is { Length: > 0 } ? values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() : null;

    private static int Run(TimeSpan interval, TimeSpan duration, IReadOnlyList<string>? backends, TelemetrySourceOptions options)
    {
        var registries = PluginLoading.Load();
        using var stop = new CancellationTokenSource();
        using var interrupts = Interrupts.CancelOnInterrupt(stop);
        Console.WriteLine($"ipw energy test: reading every backend every {interval.TotalSeconds:0.###} s for {duration.TotalSeconds:0.###} s (Ctrl-C stops)");
        var verdicts = new EnergyMonitor(registries) { Backends = backends, Options = options }.Run(interval, duration, (t, readings) =>
        {
            var line = new StringBuilder($"  t={t.TotalSeconds,6:F1}s");
            foreach (var group in readings.GroupBy(r => r.Metric.Source))
            {
                line.Append($" | {group.Key}:");
                foreach (var r in group) line.Append(' ').Append(Format(r));
            }
            Console.WriteLine(line.ToString());
        }, stop.Token);
        Console.WriteLine("verdicts:");
        var width = verdicts.Count == 0 ? 0 : verdicts.Max(v => v.Name.Length);
        foreach (var v in verdicts) Console.WriteLine($"  {v.Name.PadRight(width)}  {v.Verdict}");
        if (verdicts.Count == 0) Console.WriteLine("  (no telemetry backend is registered)");
        return 0;
    }

    private static int RunLoad(string name, IReadOnlyDictionary<string, string> settings, TimeSpan phase, TimeSpan interval, IReadOnlyList<string>? backends,
        TelemetrySourceOptions options)
    {
        var registries = PluginLoading.Load();
        var entry = registries.Loads.Resolve(name);
        using var stop = new CancellationTokenSource();
        using var interrupts = Interrupts.CancelOnInterrupt(stop);
        using var load = entry.Descriptor.Create(settings);
        ComputeLoadInfo info;
        try
        {
            info = load.Prepare(stop.Token);
        }
        catch (PluginConfigurationException e)
        {
            throw new UserError($"load '{name}': {e.Message}");
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"ipw energy test: idle {phase.TotalSeconds:0.###} s, load '{name}' {phase.TotalSeconds:0.###} s, idle {phase.TotalSeconds:0.###} s; readings every {interval.TotalSeconds:0.###} s (Ctrl-C stops)"));
        Console.WriteLine(string.Create(c, $"  load: {info.Description} on {info.Device}: {info.FlopsPerOperation / 1e9:0.###} GFLOP per operation"));
        LoadResponse response;
        try
        {
            response = new LoadResponseTest(registries) { Backends = backends, Options = options }.Run(load, info, phase, interval, (p, t, readings) =>
            {
                var line = new StringBuilder(string.Create(c, $"  [{p,-5}] t={t.TotalSeconds,6:F1}s"));
                foreach (var group in readings.GroupBy(r => r.Metric.Source))
                {
                    line.Append($" | {group.Key}:");
                    foreach (var r in group) line.Append(' ').Append(Format(r));
                }
                Console.WriteLine(line.ToString());
            }, stop.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("stopped before the three phases ended: no verdict");
            return 130;
        }
        Console.WriteLine(string.Create(c, $"load: {response.Work.Operations} operations in {response.Work.Elapsed.TotalSeconds:F1} s, {response.Gflops:F1} GFLOP/s"));
        Console.WriteLine("response:");
        var width = response.Readings.Count == 0 ? 0 : response.Readings.Max(r => Label(r).Length);
        foreach (var r in response.Readings)
        {
            string verdict;
            if (double.IsNaN(r.Idle) || double.IsNaN(r.Load) || double.IsNaN(r.After)) verdict = "not read in every phase: no verdict";
            else
            {
                var values = string.Create(c, $"idle {r.Idle:F2}, load {r.Load:F2}, after {r.After:F2} {r.Unit}");
                var rise = r.Load - Math.Max(r.Idle, r.After);
                verdict = r.Responds
                    ? values + string.Create(c, $": responds (+{rise:F2} {r.Unit})") + (r.ExtraJoulesPerGflop is { } j ? string.Create(c, $"; {j:G3} J per GFLOP above idle") : "")
                    : values + ": did not respond (this backend may not see the device the load runs on)";
            }
            Console.WriteLine($"  {Label(r).PadRight(width)}  {verdict}");
        }
        if (response.Readings.Count == 0) Console.WriteLine("  (no power, energy or CPU-time metric was read)");
        foreach (var v in response.Unavailable) Console.WriteLine($"  {v.Name}: {v.Verdict}");
        return 0;
    }

    private static string Label(PhaseReading r) => $"{r.Metric.Source}/{r.Metric.Info.Name}";

    private static string Format(MonitorReading r)
    {
        var name = r.Metric.Info.Name;
        if (double.IsNaN(r.Value)) return $"{name}=n/a";
        var c = CultureInfo.InvariantCulture;
        return r.Metric.Info.Kind switch
        {
            MetricKind.Energy => string.Create(c, $"{name}={r.SinceStart:F2}J ({r.Rate:F1}W)"),
            MetricKind.CpuTime => string.Create(c, $"{name}={r.SinceStart:F2}s ({r.Rate:F2}/s)"),
            MetricKind.Memory => string.Create(c, $"{name}={r.Value / 1048576:F0}MiB"),
            MetricKind.Power => string.Create(c, $"{name}={r.Value:F1}W"),
            MetricKind.Temperature => string.Create(c, $"{name}={r.Value:F0}C"),
            MetricKind.Utilization => string.Create(c, $"{name}={r.Value * 100:F0}%"),
            _ => string.Create(c, $"{name}={r.Value:G4}{r.Metric.Info.Unit}"),
        };
    }
}
