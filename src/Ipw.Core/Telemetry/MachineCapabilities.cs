using Ipw.Abstractions;
using Ipw.Core.Measurement;
using Ipw.Core.Plugins;

namespace Ipw.Core.Telemetry;

/// <summary>One registered telemetry backend as a run here would find it.</summary>
/// <param name="Verdict">What it reads here, or why it cannot: <see cref="SourceVerdict"/>'s words, as the run monitor
/// and summary.json put them.</param>
/// <param name="OnlyWhenNamed">Used only when named (<c>--energy NAME</c>): such a backend is checked, not probed.</param>
public sealed record BackendStatus(string Name, string Plugin, bool Available, string? Reason, string Verdict, bool OnlyWhenNamed,
    IReadOnlyList<string> Reads, IReadOnlyList<DeviceInfo> Devices);

/// <summary>One thing a run records per query, and whether a run here gets it: the sources that give it, or the reason.</summary>
/// <param name="Reason">Why not, in the words a run's records and summary.json use (every backend's reason).</param>
/// <param name="Lacking">Of that reason, what the backends that do work here say they lack (the unavailable ones' reasons
/// are theirs, in <see cref="MachineCapabilities.Backends"/>).</param>
public sealed record Capability(string What, bool Measured, IReadOnlyList<string> Sources, string? Reason, IReadOnlyList<string> Lacking);

/// <summary>
/// What a run on this machine can measure, found as a run finds it: the telemetry sources a run uses by default are
/// created and probed (<see cref="TelemetrySources"/>, <see cref="TelemetrySession"/>, not sampled), and the metrics they
/// offer are mapped onto the record columns by <see cref="TelemetryMap"/>, whose reasons fill the records' *_missing_reason
/// columns. Nothing is re-derived here.
/// </summary>
public sealed class MachineCapabilities
{
    private MachineCapabilities(IReadOnlyList<BackendStatus> backends, IReadOnlyList<Capability> measures)
    {
        Backends = backends;
        Measures = measures;
    }

    /// <summary>Every registered backend, in name order.</summary>
    public IReadOnlyList<BackendStatus> Backends { get; }

    /// <summary>What each query's record gets: latency and tokens always, then the telemetry.</summary>
    public IReadOnlyList<Capability> Measures { get; }

    /// <summary>The GPUs the backends found (their model names).</summary>
    public IReadOnlyList<string> Gpus => Backends.SelectMany(b => b.Devices).Where(d => d.Kind == "gpu").Select(d => d.Model ?? d.Id).ToList();

    public static MachineCapabilities Probe(PluginRegistries registries, TelemetrySourceOptions options)
    {
        using var session = new TelemetrySession(TelemetrySources.Create(registries, null, options), TimeSpan.Zero, start: false);
        var reports = session.Reports.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var backends = new List<BackendStatus>();
        foreach (var entry in registries.Telemetry.Entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (reports.TryGetValue(entry.Name, out var r))
            {
                backends.Add(new BackendStatus(r.Name, entry.Plugin.Name, r.Available, r.Reason,
                    SourceVerdict.Describe(r.Available, r.Reason, r.Metrics.Select(m => Kind(m.Kind)), r.Method, r.Missing.Select(m => Kind(m.Kind))),
                    false, r.Metrics.Select(m => Kind(m.Kind)).Distinct().ToList(), r.Devices));
                continue;
            }
            // Not in a default run: the same check a run that names it makes.
            var a = entry.Availability(entry.Descriptor.CheckWithOptions is { } check ? () => check(options) : null);
            backends.Add(new BackendStatus(entry.Name, entry.Plugin.Name, a.IsAvailable, a.Reason,
                a.IsAvailable ? "available when named" : $"unavailable: {a.Reason}", true, [], []));
        }
        return new MachineCapabilities(backends, Measure(session));
    }

    private static List<Capability> Measure(TelemetrySession session)
    {
        var map = new TelemetryMap(session);
        var metrics = session.Metrics;
        List<string> From(IEnumerable<int> indices) =>
            indices.Where(i => i >= 0).Select(i => $"{metrics[i].Source}:{metrics[i].Info.Device}").Distinct().ToList();
        Capability Of(string what, List<string> sources, string? reason, MetricKind kind)
        {
            if (sources.Count > 0) return new(what, true, sources, null, []);
            var lacking = session.Reports.Where(r => r.Available).SelectMany(r => r.Missing.Where(m => m.Kind == kind).Select(m => $"{r.Name}: {m.Reason}"));
            return new(what, false, [], reason, lacking.ToList());
        }
        var cpu = From([map.ProcessCpu, map.SystemCpu, map.ProcessRss, map.SystemMemory]);
        return
        [
            new Capability("latency", true, ["TTFT, inter-token and end-to-end, from each query's timeline"], null, []),
            new Capability("tokens", true, ["input and output, from the engine, the server's usage or a tokenizer"], null, []),
            Of("cpu and memory", cpu, "no source reads the process's or the machine's CPU time and memory", MetricKind.CpuTime),
            Of("energy", From(map.EnergyMetrics), map.EnergyMissingReason, MetricKind.Energy),
            Of("power", From(map.Power), map.PowerMissingReason, MetricKind.Power),
            Of("temperature", From(map.Temperature), map.TemperatureMissingReason, MetricKind.Temperature),
            Of("gpu memory", From(map.GpuMemory), TelemetryMap.Reason(session.Reports, MetricKind.Memory, "accelerator memory reading"), MetricKind.Memory),
        ];
    }

    private static string Kind(MetricKind kind) => kind.ToString().ToLowerInvariant();
}
