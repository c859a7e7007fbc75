using System.Globalization;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Hardware;
using Ipw.Core.Plugins;
using Ipw.Core.Runs;
using Ipw.Core.Summary;

namespace Ipw.Core.Profiling;

/// <summary>What a sweep varies.</summary>
public enum SweepAxis
{
    /// <summary>Closed-loop concurrency: one point per number of requests in flight.</summary>
    Concurrency,
    /// <summary>Open-loop rate: one point per requests-per-second.</summary>
    Rate,
}

/// <summary>How a sweep ended.</summary>
public sealed record SweepOutcome(string SweepPath, string Status, IReadOnlyList<ProfileOutcome> Points);

/// <summary>
/// Runs one profile per load point into a sweep folder, <c>sweep_&lt;hardware&gt;_&lt;model&gt;_&lt;axis&gt;/</c>, holding
/// the points' run folders and <c>sweep.json</c> (rewritten after every point, so a stopped sweep keeps what it measured).
/// Every point is validated before the first request is sent.
/// </summary>
public sealed class SweepRunner(PluginRegistries registries)
{
    public const string SweepFileName = "sweep.json";

    /// <summary>The options of each point, validated: a bad point refuses the whole sweep before anything runs.</summary>
    public static IReadOnlyList<ProfileOptions> Points(ProfileOptions template, SweepAxis axis, IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new UserError($"--{Axis(axis)} needs at least one value");
        var points = new List<ProfileOptions>(values.Count);
        foreach (var v in values)
        {
            var point = axis == SweepAxis.Concurrency
                ? template with { Concurrency = (int)v, Rate = null, RunSuffix = Join(template.RunSuffix, $"c{(int)v}") }
                : template with { Rate = v, Concurrency = 1, RunSuffix = Join(template.RunSuffix, $"r{Value(v)}") };
            point.Validate();
            points.Add(point);
        }
        return points;
    }

    private static string Join(string? label, string point) => label is null ? point : $"{label}_{point}";

    /// <summary>A point's value in a folder name: "2", "0.5", "inf".</summary>
    private static string Value(double v) => double.IsPositiveInfinity(v) ? RateJsonConverter.Infinite : v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A point's value in sweep.json: a number, or "inf" (JSON has no infinity).</summary>
    private static JsonNode Json(double v) => double.IsPositiveInfinity(v) ? JsonValue.Create(RateJsonConverter.Infinite) : JsonValue.Create(v);

    private static string Axis(SweepAxis axis) => axis == SweepAxis.Concurrency ? "concurrency" : "rate";

    public async Task<SweepOutcome> RunAsync(ProfileOptions template, SweepAxis axis, IReadOnlyList<double> values,
        Func<ProfileOptions, IProfileObserver?>? observerFor = null, CancellationToken stop = default, CancellationToken abort = default)
    {
        var points = Points(template, axis, values);
        var root = RunStore.EnsureWritable(template.OutputDir);
        var hardware = Profiler.DetectHardware(registries, template);
        var model = template.Model is { } m ? (File.Exists(m) ? Path.GetFileNameWithoutExtension(m) : m) : template.Client;
        var baseName = $"sweep_{hardware.Label}_{HardwareInfo.Slug(model)}_{Axis(axis)}";
        string folder;
        for (var n = 1; ; n++)
        {
            folder = Path.Combine(root, n == 1 ? baseName : $"{baseName}-{n}");
            if (!Directory.Exists(folder)) { Directory.CreateDirectory(folder); break; }
        }

        var outcomes = new List<ProfileOutcome>();
        var entries = new JsonArray();
        var status = "completed";
        var profiler = new Profiler(registries);
        Write(folder, axis, values, template, hardware, entries, "running");
        foreach (var (point, value) in points.Zip(values))
        {
            if (stop.IsCancellationRequested || abort.IsCancellationRequested) { status = "interrupted"; break; }
            var outcome = await profiler.RunAsync(point with { OutputDir = folder }, observerFor?.Invoke(point), stop, abort).ConfigureAwait(false);
            if (outcomes.Count == 0 && outcome.Model is { } label)
            {
                // Name the sweep after the model the client reported (the default model has no name until loaded).
                var named = Path.Combine(root, $"sweep_{hardware.Label}_{HardwareInfo.Slug(label)}_{Axis(axis)}");
                if (named != folder && !Directory.Exists(named))
                {
                    Directory.Move(folder, named);
                    outcome = outcome with { RunPath = Path.Combine(named, Path.GetFileName(outcome.RunPath)) };
                    folder = named;
                }
            }
            outcomes.Add(outcome);
            entries.Add(Entry(value, outcome));
            Write(folder, axis, values, template, hardware, entries, "running");
            if (outcome.Status == "interrupted") { status = "interrupted"; break; }
            if (outcome.Status != "completed") status = "partial";
        }
        Write(folder, axis, values, template, hardware, entries, status);
        return new SweepOutcome(folder, status, outcomes);
    }

    /// <summary>One point's line in sweep.json: its folder and headline numbers, read back from its summary.json.</summary>
    private static JsonObject Entry(double value, ProfileOutcome outcome)
    {
        var path = Path.Combine(outcome.RunPath, RunStore.SummaryFileName);
        var summary = File.Exists(path) ? SummaryFile.Read(path) : null;
        var energy = summary?.Energy;
        var load = summary?.Load;
        var span = load?.MeasuredSpanS;
        return new JsonObject
        {
            ["value"] = Json(value),
            ["run"] = Path.GetFileName(outcome.RunPath),
            ["status"] = outcome.Status,
            ["queries"] = outcome.Queries,
            ["errors"] = outcome.Errors,
            ["output_tokens"] = outcome.OutputTokens,
            ["output_tokens_per_s"] = span is > 0 ? outcome.OutputTokens / span : null,
            ["achieved_rate_per_s"] = load?.AchievedRatePerS,
            ["completed_per_s"] = load?.CompletedPerS,
            ["e2e_latency_s"] = Node(summary?.Totals?.E2eLatencyS),
            ["ttft_s"] = Node(summary?.Totals?.TtftS),
            ["send_lag_s"] = Node(load?.SendLagS),
            // vLLM's figures for the point, goodput among them when --slo was given.
            ["serving"] = SummaryFile.ToNode(summary?.Serving),
            ["warnings"] = load is null ? null : new JsonArray(load.Warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
            ["energy"] = energy is { Available: true } ? new JsonObject
            {
                ["gross_j"] = energy.GrossJ,
                ["active_j"] = energy.ActiveJ,
                ["avg_power_w"] = energy.AvgPowerW,
                ["idle_power_w"] = energy.Idle?.PowerW,
                ["j_per_output_token"] = energy.JPerOutputToken,
                ["output_tokens_per_j"] = energy.OutputTokensPerJ,
                ["per_query_j"] = Node(energy.PerQueryJ),
            } : null,
        };
    }

    private static JsonObject? Node(Summary.DistributionSummary? d) => d is null ? null : new JsonObject
    {
        ["count"] = d.Count,
        ["mean"] = d.Mean,
        ["p50"] = d.P50,
        ["p90"] = d.P90,
        ["p99"] = d.P99,
        ["max"] = d.Max,
    };

    private static void Write(string folder, SweepAxis axis, IReadOnlyList<double> values, ProfileOptions template, HardwareInfo hardware,
        JsonArray entries, string status)
    {
        var json = new JsonObject
        {
            ["kind"] = "sweep",
            ["ipw_version"] = Profiler.IpwVersion,
            ["status"] = status,
            ["axis"] = Axis(axis),
            ["values"] = new JsonArray(values.Select(v => (JsonNode?)Json(v)).ToArray()),
            ["arrival"] = axis == SweepAxis.Rate ? (template with { Rate = 1 }).ArrivalName : null,
            ["burstiness"] = template.Burstiness,
            ["client"] = template.Client,
            ["model"] = template.Model,
            ["dataset"] = template.Dataset,
            ["hardware"] = hardware.Label,
            ["slo_ms"] = template.Slo is { } slo ? new JsonObject(slo.Milliseconds().Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))) : null,
            ["updated_at"] = DateTimeOffset.UtcNow.ToString("O"),
            ["points"] = entries.DeepClone(),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, SweepFileName), json.ToJsonString(RunStore.Json));
    }
}
