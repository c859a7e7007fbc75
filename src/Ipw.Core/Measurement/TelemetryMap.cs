using Ipw.Abstractions;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Measurement;

/// <summary>
/// Which of a session's metrics feed which record columns and run totals, and why a kind of metric is missing: a
/// metric no source offers is left null with the reason collected from the sources' probes, never written as 0.
/// </summary>
internal sealed class TelemetryMap
{
    public int ProcessCpu { get; }
    public int SystemCpu { get; }
    public int ProcessRss { get; }
    public int SystemMemory { get; }
    public IReadOnlyList<int> Power { get; }
    public IReadOnlyList<int> Temperature { get; }
    public IReadOnlyList<int> GpuMemory { get; }

    public string? EnergyMissingReason { get; }

    /// <summary>The run's energy in one short line for the console: the source, or that energy is not measured and
    /// (when the whole reason is long: every backend's) where to look. summary.json keeps the whole reason.</summary>
    public string EnergyStatus { get; }
    public string? PowerMissingReason { get; }
    public string? TemperatureMissingReason { get; }
    public string EnergySource { get; }

    /// <summary>The session's additive cumulative energy metrics (what totals and attribution sum).</summary>
    public IReadOnlyList<int> EnergyMetrics { get; }

    /// <summary>Each energy metric's device, as its source names it (<c>gpu0</c>, <c>package-0</c>, ...), in the order of
    /// <see cref="EnergyMetrics"/>; a device two sources both name is told apart by its source (<c>nvml:gpu0</c>).</summary>
    public IReadOnlyList<string> EnergyDevices { get; }

    /// <summary>How each energy metric's counter publishes (its period, where its source learned one).</summary>
    public IReadOnlyList<CounterClock> EnergyClocks { get; }

    public TelemetryMap(TelemetrySession session)
    {
        var metrics = session.Metrics;
        int Find(MetricKind kind, string device) =>
            metrics.FirstOrDefault(m => m.Info.Kind == kind && m.Info.Device == device)?.Index ?? -1;
        // Overlapping domains (RAPL psys over package) are never summed: totals take additive metrics only.
        int[] All(MetricKind kind) => metrics.Where(m => m.Info.Kind == kind && m.Info.Additive).Select(m => m.Index).ToArray();

        ProcessCpu = Find(MetricKind.CpuTime, "process");
        SystemCpu = Find(MetricKind.CpuTime, "system");
        ProcessRss = Find(MetricKind.Memory, "process");
        SystemMemory = Find(MetricKind.Memory, "system");
        EnergyMetrics = All(MetricKind.Energy);
        Power = All(MetricKind.Power);
        Temperature = All(MetricKind.Temperature);
        // GPUs are "gpuN", or "node/gpuN" when a cluster is read through Prometheus.
        GpuMemory = metrics.Where(m => m.Info.Kind == MetricKind.Memory
            && (m.Info.Device.StartsWith("gpu", StringComparison.Ordinal) || m.Info.Device.Contains("/gpu", StringComparison.Ordinal))).Select(m => m.Index).ToArray();

        EnergyClocks = EnergyMetrics.Select(i => CounterClock.Of(metrics[i].Info)).ToArray();
        var devices = EnergyMetrics.Select(i => metrics[i].Info.Device).ToList();
        EnergyDevices = EnergyMetrics.Select((i, k) => devices.Count(d => d == devices[k]) > 1 ? $"{metrics[i].Source}:{devices[k]}" : devices[k]).ToArray();
        EnergySource = string.Join("+", EnergyMetrics.Select(i => $"{metrics[i].Source}:{metrics[i].Info.Device}").Distinct());
        EnergyMissingReason = EnergyMetrics.Count > 0 ? null : Reason(session.Reports, MetricKind.Energy, "energy counter");
        EnergyStatus = EnergyMissingReason is null ? $"energy from {EnergySource}"
            : EnergyMissingReason.Length <= 160 ? $"not measured — {EnergyMissingReason}"
            : $"not measured on this machine (no energy counter from {string.Join(", ", session.Reports.Select(r => r.Name))}); 'ipw energy test' says why";
        PowerMissingReason = Power.Count > 0 ? null : Reason(session.Reports, MetricKind.Power, "power reading");
        TemperatureMissingReason = Temperature.Count > 0 ? null : Reason(session.Reports, MetricKind.Temperature, "temperature sensor");
    }

    internal static string Reason(IReadOnlyList<SourceReport> reports, MetricKind kind, string what)
    {
        if (reports.Count == 0) return $"no {what}: no telemetry source is registered";
        var why = new List<string>();
        foreach (var r in reports)
        {
            if (!r.Available) why.Add($"{r.Name}: {r.Reason}");
            else why.AddRange(r.Missing.Where(m => m.Kind == kind).Select(m => $"{r.Name}: {m.Reason}"));
        }
        return why.Count == 0 ? $"no {what}: no source on this machine offers one" : $"no {what} on this machine ({string.Join("; ", why)})";
    }

    /// <summary>A metric's value in a window's statistics (null: no such metric, or not read).</summary>
    public static double? Value(double[] values, int index) =>
        index >= 0 && !double.IsNaN(values[index]) ? values[index] : null;

    /// <summary>The sum of metrics; null when any is missing (a partial sum would understate).</summary>
    public static double? Sum(double[] values, IReadOnlyList<int> indices)
    {
        double total = 0;
        // By index: a foreach over the interface would allocate an enumerator, for every query's every sum.
        for (var k = 0; k < indices.Count; k++)
        {
            var v = values[indices[k]];
            if (double.IsNaN(v)) return null;
            total += v;
        }
        return total;
    }
}
