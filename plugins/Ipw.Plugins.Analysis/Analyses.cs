using System.Text.Json;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using MathNet.Numerics.Distributions;

namespace Ipw.Plugins.Analysis;

/// <summary>What the three analyses share: writing analysis/&lt;name&gt;.json.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Write(AnalysisContext context, string name, JsonObject json)
    {
        Directory.CreateDirectory(context.OutputDirectory);
        var path = Path.Combine(context.OutputDirectory, name + ".json");
        File.WriteAllText(path + ".tmp", json.ToJsonString(Indented));
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    public static JsonNode? Num(double? v) => v is { } d && double.IsFinite(d) ? JsonValue.Create(d) : null;
}

/// <summary>
/// <c>regression</c>: ordinary least-squares fits of how energy, latency, TTFT and power grow with tokens, each with
/// its slope, intercept, R², n and the slope's 95 % confidence interval; log-log variants give elasticities.
/// </summary>
internal sealed class RegressionAnalysis : IAnalysis
{
    /// <summary>The fits: name, x column(s), y column, log-log.</summary>
    internal static readonly (string Name, string[] X, string Y, bool Log)[] Fits =
    [
        ("energy_vs_total_tokens", ["input_tokens", "output_tokens"], "energy_j", false),
        ("energy_vs_output_tokens", ["output_tokens"], "energy_j", false),
        ("latency_vs_input_tokens", ["input_tokens"], "e2e_latency_s", false),
        ("ttft_vs_input_tokens", ["input_tokens"], "ttft_s", false),
        ("power_vs_total_tokens", ["input_tokens", "output_tokens"], "avg_power_w", false),
        ("log_energy_vs_log_total_tokens", ["input_tokens", "output_tokens"], "energy_j", true),
        ("log_latency_vs_log_input_tokens", ["input_tokens"], "e2e_latency_s", true),
        ("log_ttft_vs_log_input_tokens", ["input_tokens"], "ttft_s", true),
    ];

    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var run = context.Runs[0];
        var fits = new JsonArray();
        var warnings = new List<string>();
        var rows = new List<IReadOnlyList<string>>();
        var headline = new Dictionary<string, double?>();
        foreach (var (name, xs, y, log) in Fits)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var xCols = xs.Select(c => Columns.Get(run, c)).ToList();
            var yCol = Columns.Get(run, y);
            var entry = new JsonObject { ["name"] = name, ["x"] = string.Join(" + ", xs), ["y"] = y, ["log_log"] = log };
            if (xCols.Any(c => c is null) || yCol is null)
            {
                entry["reason"] = "the run has no such column";
                fits.Add(entry);
                continue;
            }
            var x = xCols.Count == 1 ? xCols[0]! : Columns.Sum(xCols[0]!, xCols[1]!);
            var (px, py, missing, nonPositive) = Columns.Pairs(x, yCol, log);
            var fit = OlsFit.Of(px, py);
            entry["n"] = px.Length;
            entry["missing"] = missing;
            if (log) entry["non_positive"] = nonPositive;
            if (missing > 0) warnings.Add($"{name}: {missing} of {x.Length} rows lack {y} or {entry["x"]} and are left out");
            if (nonPositive > 0) warnings.Add($"{name}: {nonPositive} rows with a zero or negative value cannot be logged and are left out");
            if (fit is null)
            {
                entry["reason"] = px.Length < 3 ? $"{px.Length} usable rows; a fit needs at least 3" : $"{entry["x"]} does not vary";
                rows.Add([name, "n/a", "", "", "", px.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }
            else
            {
                entry["slope"] = Output.Num(fit.Slope);
                entry["intercept"] = Output.Num(fit.Intercept);
                entry["r_squared"] = Output.Num(fit.RSquared);
                entry["slope_stderr"] = Output.Num(fit.SlopeStdError);
                entry["slope_ci95"] = new JsonArray(Output.Num(fit.SlopeLow), Output.Num(fit.SlopeHigh));
                rows.Add([name, Columns.Format(fit.Slope), $"[{Columns.Format(fit.SlopeLow)}, {Columns.Format(fit.SlopeHigh)}]",
                    Columns.Format(fit.Intercept), Columns.Format(fit.RSquared), fit.N.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }
            fits.Add(entry);
            var key = name switch
            {
                "energy_vs_total_tokens" => "energy_per_token_j",
                "ttft_vs_input_tokens" => "ttft_per_input_token_s",
                "latency_vs_input_tokens" => "latency_per_input_token_s",
                _ => null,
            };
            if (key is not null) headline[key] = fit?.Slope;
        }
        var json = new JsonObject { ["analysis"] = "regression", ["run"] = run.Directory, ["fits"] = fits, ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]) };
        var file = Output.Write(context, "regression", json);
        var table = Columns.Table(["fit", "slope", "slope 95 % CI", "intercept", "R²", "n"], rows);
        return Task.FromResult(new AnalysisResult([file], table, headline, warnings));
    }
}

/// <summary>
/// <c>efficiency</c>: accuracy (Wilson 95 % interval), intelligence per joule and per watt, tokens per joule, joules per
/// token and the percentiles of TTFT, ITL, end-to-end latency and energy, overall and per subject.
/// </summary>
internal sealed class EfficiencyAnalysis : IAnalysis
{
    private static readonly (string Column, string Label, string Unit)[] Distributions =
    [
        ("ttft_s", "ttft", "s"), ("itl_p50_s", "itl", "s"), ("e2e_latency_s", "e2e_latency", "s"), ("energy_j", "energy", "J"),
    ];

    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var run = context.Runs[0];
        var warnings = new List<string>();
        var subjects = run.Columns.Contains("subject") ? run.Texts("subject") : null;
        var overall = Group(run, null, warnings);
        var bySubject = new JsonObject();
        var rows = new List<IReadOnlyList<string>> { Row("all", overall) };
        if (subjects is not null)
        {
            foreach (var subject in subjects.Where(s => s is not null).Distinct().Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var mask = subjects.Select(s => s == subject).ToArray();
                var group = Group(run, mask, null);
                bySubject[subject!] = group;
                rows.Add(Row(subject!, group));
            }
        }
        var json = new JsonObject
        {
            ["analysis"] = "efficiency",
            ["run"] = run.Directory,
            ["definitions"] = "intelligence_per_joule = accuracy / mean energy per graded query (J); intelligence_per_watt = accuracy / mean power "
                + "over graded queries (W); tokens_per_joule = output tokens / energy, over queries with energy",
            ["overall"] = overall,
            ["by_subject"] = bySubject,
            ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]),
        };
        var file = Output.Write(context, "efficiency", json);
        var table = Columns.Table(["subject", "queries", "accuracy", "IPJ (1/J)", "IPW (1/W)", "J/query", "tokens/J", "TTFT p50", "E2E p50"], rows);
        var headline = new Dictionary<string, double?>
        {
            ["queries"] = D(overall["queries"]),
            ["accuracy"] = D(overall["accuracy"]),
            ["intelligence_per_joule"] = D(overall["intelligence_per_joule"]),
            ["intelligence_per_watt"] = D(overall["intelligence_per_watt"]),
            ["energy_per_query_j"] = D(overall["mean_energy_j"]),
            ["tokens_per_joule"] = D(overall["tokens_per_joule"]),
            ["ttft_p50_s"] = D(overall["ttft"]?["p50"]),
            ["e2e_latency_p50_s"] = D(overall["e2e_latency"]?["p50"]),
        };
        return Task.FromResult(new AnalysisResult([file], table, headline, warnings));
    }

    private static double? D(JsonNode? node) =>
        node is JsonValue v ? v.TryGetValue<double>(out var d) ? d : v.TryGetValue<int>(out var i) ? i : v.TryGetValue<long>(out var l) ? l : null : null;

    private static List<string> Row(string name, JsonObject g) =>
    [
        name, Columns.Format(D(g["queries"])),
        g["accuracy"] is null ? "n/a" : $"{D(g["accuracy"])!.Value * 100:0.0} % of {g["graded"]}",
        Columns.Format(D(g["intelligence_per_joule"])), Columns.Format(D(g["intelligence_per_watt"])),
        Columns.Format(D(g["mean_energy_j"])), Columns.Format(D(g["tokens_per_joule"])),
        Columns.Format(D(g["ttft"]?["p50"]), "s"), Columns.Format(D(g["e2e_latency"]?["p50"]), "s"),
    ];

    private static JsonObject Group(IRunView run, bool[]? mask, List<string>? warnings)
    {
        var n = mask?.Count(m => m) ?? (int)run.RecordCount;
        var g = new JsonObject { ["queries"] = n };
        var correct = Columns.Get(run, "correct");
        var energy = Columns.Get(run, "energy_j");
        var power = Columns.Get(run, "avg_power_w");
        var output = Columns.Get(run, "output_tokens");
        bool In(int i) => mask is null || mask[i];

        // Accuracy over graded queries, with Wilson's interval.
        int graded = 0, right = 0;
        double energySum = 0, powerSum = 0;
        int withEnergy = 0, withPower = 0;
        for (var i = 0; correct is not null && i < correct.Length; i++)
        {
            if (!In(i) || double.IsNaN(correct[i])) continue;
            graded++;
            if (correct[i] == 1) right++;
            if (energy is not null && !double.IsNaN(energy[i])) { energySum += energy[i]; withEnergy++; }
            if (power is not null && !double.IsNaN(power[i])) { powerSum += power[i]; withPower++; }
        }
        g["graded"] = graded;
        g["correct"] = right;
        double? accuracy = graded > 0 ? (double)right / graded : null;
        g["accuracy"] = Output.Num(accuracy);
        if (accuracy is { } p)
        {
            var z = Normal.InvCDF(0, 1, 0.975);
            var centre = (p + z * z / (2 * graded)) / (1 + z * z / graded);
            var half = z * Math.Sqrt(p * (1 - p) / graded + z * z / (4.0 * graded * graded)) / (1 + z * z / graded);
            g["accuracy_ci95"] = new JsonArray(Output.Num(Math.Max(0, centre - half)), Output.Num(Math.Min(1, centre + half)));
        }
        double? meanEnergyGraded = withEnergy > 0 && withEnergy == graded ? energySum / withEnergy : null;
        double? meanPowerGraded = withPower > 0 && withPower == graded ? powerSum / withPower : null;
        g["intelligence_per_joule"] = Output.Num(accuracy is { } a1 && meanEnergyGraded is > 0 ? a1 / meanEnergyGraded : null);
        g["intelligence_per_watt"] = Output.Num(accuracy is { } a2 && meanPowerGraded is > 0 ? a2 / meanPowerGraded : null);
        if (warnings is not null && graded > 0 && withEnergy < graded)
            warnings.Add($"efficiency: {graded - withEnergy} of {graded} graded queries have no energy: intelligence per joule is not computed");
        if (warnings is not null && graded == 0) warnings.Add("efficiency: no graded queries: accuracy, IPJ and IPW are not computed");

        // Tokens per joule over the queries that have both.
        double tokens = 0, joules = 0;
        int energyMissing = 0;
        for (var i = 0; energy is not null && output is not null && i < energy.Length; i++)
        {
            if (!In(i)) continue;
            if (double.IsNaN(energy[i]) || double.IsNaN(output[i])) { energyMissing++; continue; }
            tokens += output[i];
            joules += energy[i];
        }
        g["tokens_per_joule"] = Output.Num(joules > 0 ? tokens / joules : null);
        g["joules_per_token"] = Output.Num(tokens > 0 && joules > 0 ? joules / tokens : null);
        foreach (var (column, label, unit) in Distributions)
        {
            var values = Columns.Get(run, column);
            if (values is null) continue;
            var (sorted, missing, zero) = Columns.Present(values, mask);
            g[label] = new JsonObject
            {
                ["unit"] = unit,
                ["n"] = sorted.Length,
                ["missing"] = missing,
                ["zero"] = zero,
                ["mean"] = Output.Num(Columns.Mean(sorted)),
                ["p50"] = Output.Num(Columns.Quantile(sorted, 0.5)),
                ["p90"] = Output.Num(Columns.Quantile(sorted, 0.9)),
                ["p99"] = Output.Num(Columns.Quantile(sorted, 0.99)),
            };
            if (label == "energy") g["mean_energy_j"] = Output.Num(Columns.Mean(sorted));
            if (warnings is not null && missing > 0) warnings.Add($"efficiency: {column} is missing in {missing} of {values.Length} rows");
            if (warnings is not null && zero > 0) warnings.Add($"efficiency: {column} is 0 in {zero} rows");
        }
        return g;
    }
}

/// <summary><c>latency</c>: the distributions of TTFT, inter-token latency, time per output token, end-to-end latency
/// and decode speed: summary statistics, a 20-bin histogram and a 101-point CDF each.</summary>
internal sealed class LatencyAnalysis : IAnalysis
{
    private static readonly (string Column, string Unit)[] Metrics =
        [("ttft_s", "s"), ("itl_p50_s", "s"), ("tpot_s", "s"), ("e2e_latency_s", "s"), ("decode_tokens_per_s", "tokens/s")];

    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var run = context.Runs[0];
        var warnings = new List<string>();
        var metrics = new JsonObject();
        var rows = new List<IReadOnlyList<string>>();
        var headline = new Dictionary<string, double?>();
        foreach (var (column, unit) in Metrics)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var values = Columns.Get(run, column);
            if (values is null) continue;
            var (sorted, missing, zero) = Columns.Present(values);
            if (missing > 0) warnings.Add($"latency: {column} is missing in {missing} of {values.Length} rows");
            if (zero > 0) warnings.Add($"latency: {column} is 0 in {zero} rows");
            var q = (double p) => Columns.Quantile(sorted, p);
            var m = new JsonObject
            {
                ["unit"] = unit,
                ["n"] = sorted.Length,
                ["missing"] = missing,
                ["zero"] = zero,
                ["min"] = Output.Num(q(0)),
                ["mean"] = Output.Num(Columns.Mean(sorted)),
                ["p50"] = Output.Num(q(0.5)),
                ["p90"] = Output.Num(q(0.9)),
                ["p95"] = Output.Num(q(0.95)),
                ["p99"] = Output.Num(q(0.99)),
                ["max"] = Output.Num(q(1)),
            };
            if (sorted.Length > 0)
            {
                var (lo, hi) = (sorted[0], sorted[^1]);
                var width = hi > lo ? (hi - lo) / 20 : 1;
                var counts = new int[20];
                foreach (var v in sorted) counts[Math.Min(19, (int)((v - lo) / width))]++;
                m["histogram"] = new JsonObject
                {
                    ["edges"] = new JsonArray([.. Enumerable.Range(0, 21).Select(k => Output.Num(lo + k * width))]),
                    ["counts"] = new JsonArray([.. counts.Select(c => JsonValue.Create(c))]),
                };
                m["cdf"] = new JsonArray([.. Enumerable.Range(0, 101).Select(k => Output.Num(q(k / 100.0)))]);
            }
            metrics[column] = m;
            rows.Add([column, sorted.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Columns.Format(q(0.5), unit),
                Columns.Format(q(0.9), unit), Columns.Format(q(0.99), unit), Columns.Format(q(1), unit), missing.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (column == "ttft_s") headline["ttft_p99_s"] = q(0.99);
            if (column == "e2e_latency_s") headline["e2e_latency_p99_s"] = q(0.99);
        }
        var json = new JsonObject { ["analysis"] = "latency", ["run"] = run.Directory, ["metrics"] = metrics, ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]) };
        var file = Output.Write(context, "latency", json);
        return Task.FromResult(new AnalysisResult([file], Columns.Table(["metric", "n", "p50", "p90", "p99", "max", "missing"], rows), headline, warnings));
    }
}

/// <summary>Registers the built-in analyses.</summary>
public sealed class AnalysisPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddAnalysis(new AnalysisDescriptor("regression",
            "OLS fits (MathNet) of energy vs total and output tokens, latency and TTFT vs input tokens, power vs tokens, and log-log variants: "
            + "slope with its 95 % CI, intercept, R², n; writes analysis/regression.json", () => new RegressionAnalysis()));
        registry.AddAnalysis(new AnalysisDescriptor("efficiency",
            "accuracy (Wilson 95 % CI), intelligence per joule and per watt, tokens/J, J/token, and TTFT, ITL, E2E and energy percentiles, "
            + "overall and per subject; writes analysis/efficiency.json", () => new EfficiencyAnalysis()));
        registry.AddAnalysis(new AnalysisDescriptor("latency",
            "distributions of TTFT, ITL, time per output token, E2E latency and decode speed: percentiles, a histogram and a CDF; "
            + "writes analysis/latency.json", () => new LatencyAnalysis()));
    }
}
