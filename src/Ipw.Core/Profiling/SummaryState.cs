using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Hardware;
using Ipw.Core.Plugins;
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
    TelemetryAttribution attribution,
    DateTimeOffset wallStart)
{
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
        if (r.EnergyJ is { } e) _energySum += e; else _energyMissing++;
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
                ["schedule"] = "sequential",
                ["sample_interval_s"] = options.SampleInterval.TotalSeconds,
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
            },
            ["energy"] = new JsonObject
            {
                ["available"] = attribution.EnergyMissingReason is null,
                ["reason"] = attribution.EnergyMissingReason,
                ["source"] = attribution.EnergyMissingReason is null ? attribution.EnergySource : null,
                ["method"] = attribution.EnergyMissingReason is null ? "counter delta over each query window, edges sampled at send and completion" : null,
                ["total_j"] = attribution.EnergyMissingReason is null && _energyMissing == 0 ? _energySum : null,
                ["queries_missing_energy"] = _energyMissing,
            },
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
                }).ToArray()),
            },
        };
    }
}
