using System.Globalization;
using System.Net;
using Ipw.Abstractions;
using Ipw.Core;
using Ipw.Core.Telemetry;
using Prometheus;

namespace Ipw.Cli;

/// <summary>
/// <c>ipw energy serve</c>: this machine's telemetry backends as Prometheus metrics (prometheus-net), so a node
/// without an exporter (CPU only, Apple Silicon) joins a cluster's Prometheus like one with NVIDIA's DCGM exporter.
/// Every scrape reads the backends at that moment; a reading that failed is left out of the scrape (a gap), never
/// sent as zero. Names follow Prometheus conventions: counters end in <c>_total</c> with base units
/// (<c>ipw_energy_joules_total</c>), gauges carry their unit (<c>ipw_power_watts</c>).
/// </summary>
internal static class EnergyServe
{
    private static readonly string[] Labels = ["node", "source", "device", "metric", "additive"];

    public static int Run(string listen, string node, IReadOnlyList<string>? backends, TelemetrySourceOptions options, CancellationToken stop)
    {
        var (host, port) = ParseListen(listen);
        var registries = PluginLoading.Load();
        using var session = new TelemetrySession(TelemetrySources.Create(registries, backends, options), TimeSpan.FromSeconds(1), start: false);
        var metrics = session.Metrics;
        if (metrics.Count == 0)
            throw new UserError("no telemetry backend works here, so there is nothing to serve: "
                + string.Join("; ", session.Reports.Where(r => !r.Available).Select(r => $"{r.Name}: {r.Reason}")));

        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        var energy = factory.CreateCounter("ipw_energy_joules_total", "Energy since the backend's counter started (unwrapped), joules", Labels);
        var cpu = factory.CreateCounter("ipw_cpu_seconds_total", "CPU time, seconds", Labels);
        var power = factory.CreateGauge("ipw_power_watts", "Power, watts", Labels);
        var memory = factory.CreateGauge("ipw_memory_bytes", "Memory in use, bytes", Labels);
        var temperature = factory.CreateGauge("ipw_temperature_celsius", "Temperature, degrees Celsius", Labels);
        var utilization = factory.CreateGauge("ipw_utilization_ratio", "Utilisation, 0 to 1", Labels);
        var clock = factory.CreateGauge("ipw_clock_hertz", "Clock frequency, hertz", Labels);
        var scrapes = factory.CreateCounter("ipw_serve_scrapes_total", "Scrapes served");
        var readSeconds = factory.CreateGauge("ipw_serve_read_seconds", "Time the last scrape spent reading the backends");

        registry.AddBeforeCollectCallback(() =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            session.SampleNow();
            var values = session.Latest();
            readSeconds.Set(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            scrapes.Inc();
            for (var i = 0; i < metrics.Count; i++)
            {
                var m = metrics[i];
                string[] labels = [node, m.Source, m.Info.Device, m.Info.Name, m.Info.Additive ? "true" : "false"];
                var v = values[i];
                switch (m.Info.Kind)
                {
                    case MetricKind.Energy: SetCounter(energy, labels, v); break;
                    case MetricKind.CpuTime: SetCounter(cpu, labels, v); break;
                    case MetricKind.Power: Set(power, labels, v); break;
                    case MetricKind.Memory: Set(memory, labels, v); break;
                    case MetricKind.Temperature: Set(temperature, labels, v); break;
                    case MetricKind.Utilization: Set(utilization, labels, v); break;
                    case MetricKind.Clock: Set(clock, labels, v * 1e6); break;
                }
            }
        });

        using var server = new MetricServer(host, port, "metrics/", registry);
        try
        {
            server.Start();
        }
        catch (HttpListenerException e)
        {
            throw new UserError($"--listen {listen}: cannot listen there ({e.Message})");
        }
        var url = $"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}/metrics";
        Console.WriteLine($"ipw energy serve: {url} · node {node} · {metrics.Count} metrics from {string.Join(", ", session.Reports.Where(r => r.Available).Select(r => r.Name))} (Ctrl-C stops)");
        foreach (var r in session.Reports.Where(r => !r.Available)) Console.WriteLine($"  {r.Name}: not served ({r.Reason})");
        if (!IPAddress.TryParse(host, out var address) || !IPAddress.IsLoopback(address))
            Console.Error.WriteLine($"ipw: warning: serving on {host}, reachable from other machines; the metrics need no credentials");
        stop.WaitHandle.WaitOne();
        return 0;
    }

    private static void SetCounter(Counter counter, string[] labels, double v) => Publish(counter.WithLabels(labels), v, (c, x) => c.IncTo(x));

    private static void Set(Gauge gauge, string[] labels, double v) => Publish(gauge.WithLabels(labels), v, (g, x) => g.Set(x));

    /// <summary>A reading goes out as it is; a failed one (NaN) is left out of the scrape, a gap, never a zero.</summary>
    private static void Publish<TChild>(TChild child, double v, Action<TChild, double> set) where TChild : ChildBase
    {
        if (double.IsNaN(v))
        {
            child.Unpublish();
            return;
        }
        child.Publish();
        set(child, v);
    }

    /// <summary>"127.0.0.1:9464", "0.0.0.0:9464", "[::1]:9464" or a port alone (loopback).</summary>
    internal static (string Host, int Port) ParseListen(string listen)
    {
        var text = listen.Trim();
        string host;
        string portText;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _)) (host, portText) = ("127.0.0.1", text);
        else if (text.StartsWith('[') && text.IndexOf("]:", StringComparison.Ordinal) is > 0 and var close) (host, portText) = (text[1..close], text[(close + 2)..]);
        else if (text.LastIndexOf(':') is > 0 and var colon && text.IndexOf(':') == colon) (host, portText) = (text[..colon], text[(colon + 1)..]);
        else throw new UserError($"--listen expects host:port such as 127.0.0.1:9464, got '{listen}'");
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new UserError($"--listen: '{portText}' is not a port number (1-65535) in '{listen}'");
        if (host.Length == 0) throw new UserError($"--listen: no host in '{listen}' (127.0.0.1 for this machine only, 0.0.0.0 for all interfaces)");
        return (host, port);
    }
}
