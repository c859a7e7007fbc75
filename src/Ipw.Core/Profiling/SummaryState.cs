using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Hardware;
using Ipw.Core.Measurement;
using Ipw.Core.Plugins;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Profiling;

/// <summary>Accumulates run totals and renders summary.json.</summary>
internal sealed class SummaryState(
    ProfileOptions options,
    ClientInfo info,
    RegisteredEntry<ClientDescriptor> client,
    RegisteredEntry<DatasetDescriptor> datasetEntry,
    IDataset dataset,
    HardwareInfo hardware,
    PluginRegistries registries,
    TelemetrySession session,
    TelemetryMap attribution,
    EnergyAttributor? energy,
    DateTimeOffset wallStart)
{
    private readonly Distribution _queryEnergy = new(1e-6, 1e7);
    private readonly Distribution _queryActiveEnergy = new(1e-6, 1e7);
    private readonly Distribution _e2e = new(1e-6, 3600), _ttft = new(1e-6, 3600);
    private readonly Dictionary<string, int> _energyFlags = [];
    private readonly Scoring.IntelligenceTally _intelligence = new();
    private double _activeSum;
    private int _activeCount;

    public IdleMeasurement? IdleBefore { get; set; }
    public IdleMeasurement? IdleAfter { get; set; }
    /// <summary>From the first send to the last completion, s.</summary>
    public double? MeasuredSpanS { get; set; }
    /// <summary>The load section (mode, achieved rate, send lag, harness CPU, warnings).</summary>
    public JsonObject? Load { get; set; }

    public void AddEnergyFlags(IReadOnlyList<string> flags)
    {
        foreach (var f in flags) _energyFlags[f] = _energyFlags.GetValueOrDefault(f) + 1;
    }

    private readonly Dictionary<string, int> _errorsByClass = [];
    private long _inputTokens, _missingInputTokens, _missingOutputTokens;
    private double _latencySum, _energySum, _cpuSum, _ttftSum, _decodeRateSum;
    private int _energyMissing, _ttftCount, _decodeRateCount;

    public int Queries { get; private set; }
    public int Errors { get; private set; }
    public long OutputTokens { get; private set; }
    public string? Failure { get; set; }

    /// <summary>What the client reported after the run, values as JSON text.</summary>
    public IReadOnlyDictionary<string, string> ClientReport { get; set; } = new Dictionary<string, string>();

    public void Add(QueryRecord r)
    {
        Queries++;
        if (r.Status != "ok")
        {
            Errors++;
            _errorsByClass[r.Status] = _errorsByClass.GetValueOrDefault(r.Status) + 1;
        }
        if (r.InputTokens is { } i) _inputTokens += i; else _missingInputTokens++;
        if (r.OutputTokens is { } o) OutputTokens += o; else _missingOutputTokens++;
        _latencySum += r.E2eLatencyS;
        if (r.TtftS is { } ttft) { _ttftSum += ttft; _ttftCount++; }
        if (r.DecodeTokensPerS is { } rate) { _decodeRateSum += rate; _decodeRateCount++; }
        if (r.EnergyJ is { } e) { _energySum += e; _queryEnergy.Add(e); } else _energyMissing++;
        if (r.ActiveEnergyJ is { } a) { _activeSum += a; _activeCount++; _queryActiveEnergy.Add(a); }
        _e2e.Add(r.E2eLatencyS);
        _intelligence.Add(r);
        if (r.TtftS is { } tt) _ttft.Add(tt);
        _cpuSum += r.ProcessCpuS ?? 0;
    }

    private static JsonObject Details(IReadOnlyDictionary<string, string> details)
    {
        var o = new JsonObject();
        foreach (var (k, v) in details.OrderBy(p => p.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }

    private JsonObject Report()
    {
        var report = new JsonObject();
        foreach (var (key, json) in ClientReport)
        {
            try { report[key] = JsonNode.Parse(json); }
            catch (System.Text.Json.JsonException) { report[key] = json; }
        }
        return report;
    }

    public JsonObject ToJson(string status, long recordsOnDisk, TimeSpan elapsed)
    {
        var errors = new JsonObject();
        foreach (var (k, v) in _errorsByClass.OrderBy(p => p.Key, StringComparer.Ordinal)) errors[k] = v;
        var details = new JsonObject();
        foreach (var (k, v) in info.Details.OrderBy(p => p.Key, StringComparer.Ordinal)) details[k] = v;
        var settings = new JsonObject();
        // Header values may hold credentials: record that they were set, never what they were.
        foreach (var (k, v) in options.ClientSettings) settings[k] = k.StartsWith("header.", StringComparison.OrdinalIgnoreCase) ? "(set, value not recorded)" : v;

        return new JsonObject
        {
            ["ipw_version"] = Profiler.IpwVersion,
            ["status"] = status,
            ["failure"] = Failure,
            ["started_at"] = wallStart.ToString("O"),
            ["updated_at"] = DateTimeOffset.UtcNow.ToString("O"),
            ["ended_at"] = status == "running" ? null : DateTimeOffset.UtcNow.ToString("O"),
            ["duration_s"] = elapsed.TotalSeconds,
            ["config"] = new JsonObject
            {
                ["client"] = options.Client,
                ["model"] = options.Model,
                ["client_base_url"] = options.BaseUrl,
                ["client_settings"] = settings,
                ["dataset"] = options.Dataset,
                ["dataset_path"] = options.DatasetPath,
                ["max_queries"] = options.MaxQueries,
                ["max_errors"] = options.MaxErrors,
                ["max_error_rate"] = options.MaxErrorRate,
                ["max_tokens"] = options.MaxTokens,
                ["temperature"] = options.Temperature,
                ["seed"] = options.Seed,
                ["warmup"] = options.Warmup,
                ["load_mode"] = options.LoadMode,
                ["concurrency"] = options.Concurrency,
                ["rate_per_s"] = options.Rate,
                ["arrival"] = options.Rate is null ? null : options.Arrival.ToString().ToLowerInvariant(),
                ["duration_s"] = options.Duration?.TotalSeconds,
                ["baseline_s"] = options.Baseline.TotalSeconds,
                ["attribution"] = options.Attribution.ToString().ToLowerInvariant(),
                ["prefill_weight"] = options.Attribution == AttributionMethod.Phase ? options.PrefillWeight : null,
                ["sample_interval_s"] = options.SampleInterval.TotalSeconds,
                ["front_end"] = options.FrontEnd,
            },
            ["model"] = new JsonObject { ["label"] = info.Model, ["details"] = details },
            ["client"] = new JsonObject
            {
                ["name"] = client.Name,
                ["plugin"] = client.Plugin.Name,
                ["plugin_version"] = client.Plugin.Version,
                ["report"] = Report(),
            },
            ["dataset"] = new JsonObject
            {
                ["name"] = datasetEntry.Name,
                ["identity"] = dataset.Identity,
                ["items"] = dataset.Count,
                ["plugin"] = datasetEntry.Plugin.Name,
            },
            ["hardware"] = new JsonObject
            {
                ["label"] = hardware.Label,
                ["cpu"] = hardware.CpuModel,
                ["logical_cores"] = hardware.LogicalCores,
                ["memory_total_bytes"] = hardware.MemoryTotalBytes,
                ["gpus"] = new JsonArray(hardware.Gpus.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
                ["os"] = hardware.Os,
                ["architecture"] = hardware.Architecture,
            },
            ["software"] = new JsonObject
            {
                ["ipw"] = Profiler.IpwVersion,
                ["dotnet"] = RuntimeInformation.FrameworkDescription,
                ["os"] = RuntimeInformation.OSDescription,
                ["plugins"] = new JsonArray(registries.Loaded.Select(p => (JsonNode?)new JsonObject { ["name"] = p.Name, ["version"] = p.Version }).ToArray()),
            },
            ["counts"] = new JsonObject
            {
                ["queries"] = Queries,
                ["records_on_disk"] = recordsOnDisk,
                ["ok"] = Queries - Errors,
                ["errors"] = Errors,
                ["errors_by_class"] = errors,
            },
            ["totals"] = new JsonObject
            {
                ["input_tokens"] = _inputTokens,
                ["output_tokens"] = OutputTokens,
                ["queries_missing_input_tokens"] = _missingInputTokens,
                ["queries_missing_output_tokens"] = _missingOutputTokens,
                ["sum_e2e_latency_s"] = _latencySum,
                ["process_cpu_s"] = _cpuSum,
                ["output_tokens_per_s"] = _latencySum > 0 ? OutputTokens / _latencySum : null,
                ["mean_e2e_latency_s"] = Queries > 0 ? _latencySum / Queries : null,
                ["mean_ttft_s"] = _ttftCount > 0 ? _ttftSum / _ttftCount : null,
                ["mean_decode_tokens_per_s"] = _decodeRateCount > 0 ? _decodeRateSum / _decodeRateCount : null,
                ["e2e_latency_s"] = _e2e.ToJson(),
                ["ttft_s"] = _ttft.ToJson(),
            },
            ["load"] = Load?.DeepClone(),
            ["energy"] = EnergyJson(),
            ["intelligence"] = _intelligence.ToJson(attribution.EnergyMissingReason),
            ["telemetry"] = new JsonObject
            {
                ["interval_s"] = session.Interval.TotalSeconds,
                ["samples"] = session.SampleCount,
                ["max_read_latency_s"] = session.MaxReadLatency.TotalSeconds,
                ["power_missing_reason"] = attribution.PowerMissingReason,
                ["temperature_missing_reason"] = attribution.TemperatureMissingReason,
                ["sources"] = new JsonArray(session.Reports.Select(r => (JsonNode?)new JsonObject
                {
                    ["name"] = r.Name,
                    ["available"] = r.Available,
                    ["reason"] = r.Reason,
                    ["method"] = r.Method,
                    ["details"] = Details(r.Details),
                    ["metrics"] = new JsonArray(r.Metrics.Select(m => (JsonNode?)new JsonObject
                    {
                        ["name"] = m.Name,
                        ["device"] = m.Device,
                        ["kind"] = m.Kind.ToString().ToLowerInvariant(),
                        ["unit"] = m.Unit,
                    }).ToArray()),
                    ["missing"] = new JsonArray(r.Missing.Select(m => (JsonNode?)new JsonObject
                    {
                        ["kind"] = m.Kind.ToString().ToLowerInvariant(),
                        ["reason"] = m.Reason,
                    }).ToArray()),
                    ["notes"] = new JsonArray(session.Notes(r.Name).Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
                }).ToArray()),
            },
        };
    }

    private const string OverlapMethod =
        "Energy comes from cumulative counters, each reading placed at the counter's estimated update time and interpolated "
        + "linearly between updates. Time is cut at every query start, first token and end; each piece's energy goes to the "
        + "queries active in it in equal shares (time overlap), or to 'unattributed' when none is. A query alone owns its "
        + "window. Shares plus unattributed energy equal the counters' delta over the measured span. Per-query energy under "
        + "concurrency is an estimate.";

    private string MethodText() => options.Attribution == AttributionMethod.Phase
        ? OverlapMethod.Replace("in equal shares (time overlap)", $"weighted by phase: a query before its first token (prefill) weighs {options.PrefillWeight.ToString(System.Globalization.CultureInfo.InvariantCulture)}, after it (decode) 1")
        : OverlapMethod;

    private JsonObject EnergyJson()
    {
        var available = attribution.EnergyMissingReason is null;
        var json = new JsonObject
        {
            ["available"] = available,
            ["reason"] = attribution.EnergyMissingReason,
            ["source"] = available ? attribution.EnergySource : null,
            ["estimate"] = available ? true : null,
            ["method"] = available ? MethodText() : null,
            ["attribution"] = available ? options.Attribution.ToString().ToLowerInvariant() : null,
            ["counter_update_s"] = energy?.CounterPeriod?.TotalSeconds,
            ["total_j"] = null,
            ["queries_missing_energy"] = _energyMissing,
        };
        if (energy is null) return json;

        var gross = energy.MeasuredJ;
        var idle = new IdleSummary(IdleBefore, IdleAfter);
        double? span = MeasuredSpanS;
        json["gross_j"] = gross;
        // Counter by counter, and per node where devices are named node/device (a cluster read through Prometheus).
        var byCounter = energy.MeasuredJByCounter;
        var counters = attribution.EnergyMetrics.Select((m, k) => (Metric: session.Metrics[m], Joules: byCounter[k])).ToList();
        json["by_counter"] = new JsonArray(counters.Select(c => (JsonNode?)new JsonObject
        {
            ["source"] = c.Metric.Source,
            ["device"] = c.Metric.Info.Device,
            ["metric"] = c.Metric.Info.Name,
            ["j"] = c.Joules,
            ["avg_power_w"] = span is > 0 ? c.Joules / span : null,
        }).ToArray());
        if (counters.Any(c => c.Metric.Info.Device.Contains('/', StringComparison.Ordinal)))
        {
            var byNode = new JsonObject();
            foreach (var node in counters.GroupBy(c => c.Metric.Info.Device.Split('/')[0]).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                byNode[node.Key] = new JsonObject
                {
                    ["j"] = node.Sum(c => c.Joules),
                    ["avg_power_w"] = span is > 0 ? node.Sum(c => c.Joules) / span : null,
                    ["devices"] = new JsonArray(node.Select(c => c.Metric.Info.Device).Distinct().Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                };
            }
            json["by_node"] = byNode;
        }
        json["attributed_j"] = energy.AttributedJ;
        json["unattributed_j"] = energy.UnattributedJ;
        json["unattributed_s"] = energy.UnattributedSeconds;
        json["conservation_error_j"] = gross - (energy.AttributedJ + energy.UnattributedJ);
        json["total_j"] = _energyMissing == 0 ? _energySum : null;
        json["measured_span_s"] = span;
        json["avg_power_w"] = span is > 0 ? gross / span : null;
        json["idle"] = new JsonObject
        {
            ["measured"] = options.Baseline > TimeSpan.Zero,
            ["reason"] = options.Baseline > TimeSpan.Zero ? (IdleBefore is null && IdleAfter is null ? "the baseline was interrupted or the counters did not cover it" : null) : "disabled (--baseline 0)",
            ["power_w"] = idle.PowerW,
            ["power_basis"] = "the idle power measured before the run, which every active energy (per query and the run's) subtracts; the window after the run checks it for drift",
            ["mean_before_after_w"] = idle.MeanW,
            ["sigma_w"] = idle.SigmaW,
            ["before"] = Idle(IdleBefore),
            ["after"] = Idle(IdleAfter),
            ["drift_w"] = IdleBefore is not null && IdleAfter is not null ? IdleAfter.MeanW - IdleBefore.MeanW : null,
        };
        double? active = span is { } s ? ActiveEnergy.Of(gross, s, idle.PowerW) : null;
        json["active_j"] = active;
        json["unattributed_active_j"] = ActiveEnergy.Of(energy.UnattributedJ, energy.UnattributedSeconds, idle.PowerW);
        json["active_j_uncertainty"] = idle.SigmaW is { } sigma && span is { } s2 ? sigma * s2 : null;
        json["per_query_active_j_sum"] = _activeCount > 0 ? _activeSum : null;
        json["output_tokens_per_j"] = gross > 0 ? OutputTokens / gross : null;
        json["j_per_output_token"] = OutputTokens > 0 ? gross / OutputTokens : null;
        json["active_j_per_output_token"] = active is { } act && OutputTokens > 0 ? act / OutputTokens : null;
        json["output_tokens_per_active_j"] = active is > 0 ? OutputTokens / active : null;
        json["per_query_j"] = _queryEnergy.ToJson();
        json["per_query_active_j"] = _queryActiveEnergy.ToJson();
        var flags = new JsonObject();
        foreach (var (k, v) in _energyFlags.OrderBy(p => p.Key, StringComparer.Ordinal)) flags[k] = v;
        json["quality_flags"] = flags;
        return json;
    }

    private static JsonObject? Idle(IdleMeasurement? m) => m is null ? null : new JsonObject
    {
        ["power_w"] = m.MeanW,
        ["sigma_w"] = m.SigmaW,
        ["energy_j"] = m.EnergyJ,
        ["duration_s"] = m.DurationS,
        ["bins"] = m.Bins,
    };
}

/// <summary>Writes the summary's current state to summary.json through the run store.</summary>
internal sealed class SummaryPublisher(SummaryState state, Runs.RunFolder run, long runStart)
{
    public SummaryState State => state;

    public void Publish(string status) =>
        run.WriteSummary(state.ToJson(status, run.RecordsWritten, System.Diagnostics.Stopwatch.GetElapsedTime(runStart)));
}
