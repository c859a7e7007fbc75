using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Runs;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Profiling;

/// <summary>
/// Maps a window's telemetry statistics onto a record's columns. A metric no source offers is left
/// null with the reason collected from the sources' probes, never written as 0.
/// </summary>
internal sealed class TelemetryAttribution
{
    private readonly int _processCpu, _systemCpu, _processRss, _systemMemory;
    private readonly int[] _energy, _power, _temperature, _gpuMemory;
    private readonly int _cores = Environment.ProcessorCount;

    public string? EnergyMissingReason { get; }
    public string? PowerMissingReason { get; }
    public string? TemperatureMissingReason { get; }
    public string EnergySource { get; }

    /// <summary>The session's additive cumulative energy metrics (what totals and attribution sum).</summary>
    public IReadOnlyList<int> EnergyMetrics => _energy;

    /// <summary>Each energy metric's counter update period, where its source learned one
    /// (detail "&lt;device&gt;_energy_update_ms").</summary>
    public IReadOnlyList<TimeSpan?> EnergyPeriods { get; }

    public TelemetryAttribution(TelemetrySession session)
    {
        var metrics = session.Metrics;
        int Find(MetricKind kind, string device) =>
            metrics.FirstOrDefault(m => m.Info.Kind == kind && m.Info.Device == device)?.Index ?? -1;
        // Overlapping domains (RAPL psys over package) are never summed: totals take additive metrics only.
        int[] All(MetricKind kind) => metrics.Where(m => m.Info.Kind == kind && m.Info.Additive).Select(m => m.Index).ToArray();

        _processCpu = Find(MetricKind.CpuTime, "process");
        _systemCpu = Find(MetricKind.CpuTime, "system");
        _processRss = Find(MetricKind.Memory, "process");
        _systemMemory = Find(MetricKind.Memory, "system");
        _energy = All(MetricKind.Energy);
        _power = All(MetricKind.Power);
        _temperature = All(MetricKind.Temperature);
        // GPUs are "gpuN", or "node/gpuN" when a cluster is read through Prometheus.
        _gpuMemory = metrics.Where(m => m.Info.Kind == MetricKind.Memory
            && (m.Info.Device.StartsWith("gpu", StringComparison.Ordinal) || m.Info.Device.Contains("/gpu", StringComparison.Ordinal))).Select(m => m.Index).ToArray();

        EnergyPeriods = _energy.Select(i =>
        {
            var m = metrics[i];
            var report = session.Reports.FirstOrDefault(r => r.Name == m.Source);
            return report?.Details.TryGetValue($"{m.Info.Device}_energy_update_ms", out var ms) == true
                && double.TryParse(ms, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0
                ? TimeSpan.FromMilliseconds(v) : (TimeSpan?)null;
        }).ToArray();
        EnergySource = string.Join("+", _energy.Select(i => $"{metrics[i].Source}:{metrics[i].Info.Device}").Distinct());
        EnergyMissingReason = _energy.Length > 0 ? null : Reason(session.Reports, MetricKind.Energy, "energy counter");
        PowerMissingReason = _power.Length > 0 ? null : Reason(session.Reports, MetricKind.Power, "power reading");
        TemperatureMissingReason = _temperature.Length > 0 ? null : Reason(session.Reports, MetricKind.Temperature, "temperature sensor");
    }

    private static string Reason(IReadOnlyList<SourceReport> reports, MetricKind kind, string what)
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

    public void Fill(QueryRecord record, WindowStats w)
    {
        record.ProcessCpuS = Value(w.Delta, _processCpu);
        var busy = Value(w.Delta, _systemCpu);
        var seconds = w.Duration.TotalSeconds;
        record.SystemCpuUtilization = busy is { } b && seconds > 0 ? Math.Clamp(b / (seconds * _cores), 0, 1) : null;
        record.ProcessRssBytes = ToLong(Value(w.Max, _processRss));
        record.SystemMemoryUsedBytes = ToLong(Value(w.Max, _systemMemory));

        // Energy itself comes from the EnergyAttributor (FillEnergy); without a counter, say why.
        if (_energy.Length == 0) record.EnergyMissingReason = EnergyMissingReason;

        if (_gpuMemory.Length > 0 && Sum(w.Max, _gpuMemory) is { } gpuMemory) record.GpuMemoryUsedBytes = (long)Math.Round(gpuMemory);

        // Average power comes from the energy counter where there is one (set with the energy); sampled power
        // lags or misses short windows, so it is the fallback. The maximum can only come from samples.
        if (_energy.Length == 0 && _power.Length > 0) record.AvgPowerW = Sum(w.Mean, _power);
        if (_power.Length > 0) record.MaxPowerW = Sum(w.Max, _power); // per-device highest readings, summed
        record.PowerMissingReason = record.AvgPowerW is not null || _energy.Length > 0 ? null
            : _power.Length > 0 ? "no power sample inside this query's window" : PowerMissingReason;

        if (_temperature.Length > 0)
        {
            double? hottest = null;
            foreach (var i in _temperature)
                if (!double.IsNaN(w.Max[i])) hottest = Math.Max(hottest ?? double.MinValue, w.Max[i]);
            record.TemperatureC = hottest;
            record.TemperatureMissingReason = hottest is null ? "no temperature sample inside this query's window" : null;
        }
        else record.TemperatureMissingReason = TemperatureMissingReason;
    }

    /// <summary>Fills the energy columns from the attributor's result for this query.</summary>
    /// <param name="idleW">Idle power measured before the run (null: not measured), for active energy.</param>
    public void FillEnergy(QueryRecord record, AttributedEnergy e, AttributionMethod method, double? idleW)
    {
        record.EnergySource = EnergySource;
        record.MeanConcurrency = e.MeanConcurrency;
        record.EnergyQuality = e.Flags.Count == 0 ? "ok" : string.Join(",", e.Flags);
        // One query alone owns its window; otherwise its energy is a share: an estimate, labelled as such.
        record.EnergyMethod = e.MeanConcurrency <= 1.000001 ? "window" : method == AttributionMethod.Phase ? "phase-share" : "overlap-share";
        if (double.IsNaN(e.ShareJ))
        {
            record.EnergyMissingReason = "the energy counter did not cover this query's window (read failures or the run ended first)";
            record.PowerMissingReason ??= record.AvgPowerW is null ? "no energy reading covered this query's window" : null;
            return;
        }
        record.EnergyJ = e.ShareJ;
        record.EnergyWindowJ = e.WindowJ;
        record.ActiveEnergyJ = idleW is { } p ? e.ShareJ - p * e.ShareSeconds : null;
        // The devices' average power over the window (not the query's share of it).
        if (e.WindowSeconds > 0) record.AvgPowerW = e.WindowJ / e.WindowSeconds;
        record.PowerMissingReason = null;
    }

    private static double? Value(double[] values, int index) =>
        index >= 0 && !double.IsNaN(values[index]) ? values[index] : null;

    private static double? Sum(double[] values, int[] indices)
    {
        double total = 0;
        foreach (var i in indices)
        {
            if (double.IsNaN(values[i])) return null; // a partial sum would understate: report missing
            total += values[i];
        }
        return total;
    }

    private static long? ToLong(double? value) => value is { } v ? (long)Math.Round(v) : null;
}
