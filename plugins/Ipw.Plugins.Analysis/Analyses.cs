using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis;

/// <summary>What the analyses share: writing &lt;name&gt;.json where the host says.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Write(AnalysisContext context, string name, JsonObject json) =>
        context.Output.Write(name + ".json", System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(Indented)));

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
        ("energy_vs_total_tokens", [RecordColumns.InputTokens.Name, RecordColumns.OutputTokens.Name], RecordColumns.EnergyJ.Name, false),
        ("energy_vs_output_tokens", [RecordColumns.OutputTokens.Name], RecordColumns.EnergyJ.Name, false),
        ("latency_vs_input_tokens", [RecordColumns.InputTokens.Name], RecordColumns.E2eLatencyS.Name, false),
        ("ttft_vs_input_tokens", [RecordColumns.InputTokens.Name], RecordColumns.TtftS.Name, false),
        ("power_vs_total_tokens", [RecordColumns.InputTokens.Name, RecordColumns.OutputTokens.Name], RecordColumns.AvgPowerW.Name, false),
        ("log_energy_vs_log_total_tokens", [RecordColumns.InputTokens.Name, RecordColumns.OutputTokens.Name], RecordColumns.EnergyJ.Name, true),
        ("log_latency_vs_log_input_tokens", [RecordColumns.InputTokens.Name], RecordColumns.E2eLatencyS.Name, true),
        ("log_ttft_vs_log_input_tokens", [RecordColumns.InputTokens.Name], RecordColumns.TtftS.Name, true),
    ];

    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var run = context.Runs[0];
        var fits = new JsonArray();
        var warnings = new List<string>();
        var rows = new List<IReadOnlyList<string>>();
        var headline = new Dictionary<string, double?>();
        var sums = new Dictionary<string, double[]>(StringComparer.Ordinal);
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
            var x = xCols.Count == 1 ? xCols[0]! : sums.TryGetValue(entry["x"]!.GetValue<string>(), out var sum) ? sum
                : sums[entry["x"]!.GetValue<string>()] = Columns.Sum(xCols[0]!, xCols[1]!);
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
        var table = Columns.Of(["fit", "slope", "slope 95 % CI", "intercept", "R²", "n"], rows);
        return Task.FromResult(Columns.Result([file], headline, warnings, table));
    }
}

/// <summary>
/// <c>efficiency</c>: accuracy (Wilson 95 % interval), intelligence per joule and per watt, tokens per joule, joules per
/// token and the percentiles of TTFT, the queries' median inter-token latencies (the run's pooled inter-token latency
/// needs every gap, which only summary.json's serving section has), end-to-end latency and energy, overall and per subject. One pass over the
/// rows gathers every group's sums; each distribution is sorted once overall (shared with <c>latency</c>) and once split
/// by subject.
/// </summary>
internal sealed class EfficiencyAnalysis : IAnalysis
{
    private static readonly (string Column, string Label, string Unit)[] Distributions =
    [
        (RecordColumns.TtftS.Name, "ttft", "s"), (RecordColumns.ItlP50S.Name, "itl_p50_per_query", "s"), (RecordColumns.E2eLatencyS.Name, "e2e_latency", "s"), (RecordColumns.EnergyJ.Name, "energy", "J"),
    ];

    /// <summary>Running sums of one group.</summary>
    private sealed class Tally
    {
        public int Queries, Graded, Right, WithEnergy, WithPower;
        public double EnergySum, PowerSum, Tokens, Joules;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var run = context.Runs[0];
        var warnings = new List<string>();
        var n = (int)run.RecordCount;

        // Subjects become group numbers (−1: none).
        var names = new List<string>();
        var groupOf = new int[n];
        if (run.Columns.Contains(RecordColumns.Subject.Name))
        {
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var subjects = run.Texts(RecordColumns.Subject.Name);
            for (var i = 0; i < n; i++)
            {
                var s = subjects[i];
                if (s is null) { groupOf[i] = -1; continue; }
                if (!index.TryGetValue(s, out var g)) { g = index[s] = names.Count; names.Add(s); }
                groupOf[i] = g;
            }
        }
        else Array.Fill(groupOf, -1);

        var all = new Tally();
        var tallies = names.Select(_ => new Tally()).ToArray();
        var correct = Columns.Get(run, RecordColumns.Correct.Name);
        var energy = Columns.Get(run, RecordColumns.EnergyJ.Name);
        var power = Columns.Get(run, RecordColumns.AvgPowerW.Name);
        var output = Columns.Get(run, RecordColumns.OutputTokens.Name);
        for (var i = 0; i < n; i++)
        {
            var g = groupOf[i];
            Add(all, i);
            if (g >= 0) Add(tallies[g], i);
        }
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Add(Tally t, int i)
        {
            t.Queries++;
            var e = energy is null ? double.NaN : energy[i];
            if (correct is not null && !double.IsNaN(correct[i]))
            {
                t.Graded++;
                if (correct[i] == 1) t.Right++;
                if (!double.IsNaN(e)) { t.EnergySum += e; t.WithEnergy++; }
                if (power is not null && !double.IsNaN(power[i])) { t.PowerSum += power[i]; t.WithPower++; }
            }
            if (!double.IsNaN(e) && output is not null && !double.IsNaN(output[i])) { t.Tokens += output[i]; t.Joules += e; }
        }

        var overall = Group(all, warnings);
        var groups = tallies.Select(t => Group(t, null)).ToArray();
        foreach (var (column, label, unit) in Distributions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var values = Columns.Get(run, column);
            if (values is null) continue;
            var (whole, split) = Columns.SortedByGroup(run, column, groupOf, names.Count);
            overall[label] = Distribution(whole, unit);
            if (label == "energy") overall["mean_energy_j"] = Output.Num(Columns.Mean(whole.Sorted));
            if (whole.Missing > 0) warnings.Add($"efficiency: {column} is missing in {whole.Missing} of {n} rows");
            if (whole.Zero > 0) warnings.Add($"efficiency: {column} is 0 in {whole.Zero} rows");
            for (var g = 0; g < names.Count; g++)
            {
                groups[g][label] = Distribution(split[g], unit);
                if (label == "energy") groups[g]["mean_energy_j"] = Output.Num(Columns.Mean(split[g].Sorted));
            }
        }

        var bySubject = new JsonObject();
        var rows = new List<IReadOnlyList<string>> { Row("all", overall) };
        foreach (var g in Enumerable.Range(0, names.Count).OrderBy(g => names[g], StringComparer.Ordinal))
        {
            bySubject[names[g]] = groups[g];
            rows.Add(Row(names[g], groups[g]));
        }
        var json = new JsonObject
        {
            ["analysis"] = "efficiency",
            ["run"] = run.Directory,
            ["definitions"] = Statistics.IntelligenceDefinitions + "; tokens_per_joule = output tokens / energy, over queries with energy",
            ["overall"] = overall,
            ["by_subject"] = bySubject,
            ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]),
        };
        var file = Output.Write(context, "efficiency", json);
        var table = Columns.Of(["subject", "queries", "accuracy", "IPJ (1/J)", "IPW (1/W)", "J/query", "tokens/J", "TTFT p50", "E2E p50"], rows);
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
        return Task.FromResult(Columns.Result([file], headline, warnings, table));
    }

    private static JsonObject Distribution((double[] Sorted, int Missing, int Zero) d, string unit) => new()
    {
        ["unit"] = unit,
        ["n"] = d.Sorted.Length,
        ["missing"] = d.Missing,
        ["zero"] = d.Zero,
        ["mean"] = Output.Num(Columns.Mean(d.Sorted)),
        ["p50"] = Output.Num(Columns.Percentile(d.Sorted, 50)),
        ["p90"] = Output.Num(Columns.Percentile(d.Sorted, 90)),
        ["p99"] = Output.Num(Columns.Percentile(d.Sorted, 99)),
    };

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

    private static JsonObject Group(Tally t, List<string>? warnings)
    {
        var g = new JsonObject { ["queries"] = t.Queries, ["graded"] = t.Graded, ["correct"] = t.Right };
        // Accuracy and intelligence per joule and per watt as summary.json defines them (one definition).
        var f = Statistics.Intelligence(t.Graded, t.Right, t.EnergySum, t.WithEnergy, t.PowerSum, t.WithPower);
        g["accuracy"] = Output.Num(f.Accuracy);
        if (f.AccuracyCi95 is { } ci) g["accuracy_ci95"] = new JsonArray(Output.Num(ci.Low), Output.Num(ci.High));
        g["intelligence_per_joule"] = Output.Num(f.PerJoule);
        g["intelligence_per_watt"] = Output.Num(f.PerWatt);
        g["tokens_per_joule"] = Output.Num(t.Joules > 0 ? t.Tokens / t.Joules : null);
        g["joules_per_token"] = Output.Num(t.Tokens > 0 && t.Joules > 0 ? t.Joules / t.Tokens : null);
        if (warnings is not null && t.Graded > 0 && t.WithEnergy < t.Graded)
            warnings.Add($"efficiency: {t.Graded - t.WithEnergy} of {t.Graded} graded queries have no energy: intelligence per joule is not computed");
        if (warnings is not null && t.Graded == 0) warnings.Add("efficiency: no graded queries: accuracy, IPJ and IPW are not computed");
        return g;
    }
}

/// <summary><c>latency</c>: the distributions of TTFT, inter-token latency, time per output token, end-to-end latency
/// and decode speed: summary statistics, a 20-bin histogram and a 101-point CDF each.</summary>
internal sealed class LatencyAnalysis : IAnalysis
{
    private static readonly (string Column, string Unit)[] Metrics =
        [(RecordColumns.TtftS.Name, "s"), (RecordColumns.ItlP50S.Name, "s"), (RecordColumns.TpotS.Name, "s"), (RecordColumns.E2eLatencyS.Name, "s"), (RecordColumns.DecodeTokensPerS.Name, "tokens/s")];

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
            var (sorted, missing, zero) = Columns.Sorted(run, column);
            if (missing > 0) warnings.Add($"latency: {column} is missing in {missing} of {values.Length} rows");
            if (zero > 0) warnings.Add($"latency: {column} is 0 in {zero} rows");
            var q = (double p) => Columns.Percentile(sorted, p);
            var m = new JsonObject
            {
                ["unit"] = unit,
                ["n"] = sorted.Length,
                ["missing"] = missing,
                ["zero"] = zero,
                ["min"] = Output.Num(q(0)),
                ["mean"] = Output.Num(Columns.Mean(sorted)),
                ["p50"] = Output.Num(q(50)),
                ["p90"] = Output.Num(q(90)),
                ["p95"] = Output.Num(q(95)),
                ["p99"] = Output.Num(q(99)),
                ["max"] = Output.Num(q(100)),
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
                m["cdf"] = new JsonArray([.. Enumerable.Range(0, 101).Select(k => Output.Num(q(k)))]);
            }
            metrics[column] = m;
            rows.Add([column, sorted.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Columns.Format(q(50), unit),
                Columns.Format(q(90), unit), Columns.Format(q(99), unit), Columns.Format(q(100), unit), missing.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (column == RecordColumns.TtftS.Name) headline["ttft_p99_s"] = q(99);
            if (column == RecordColumns.E2eLatencyS.Name) headline["e2e_latency_p99_s"] = q(99);
        }
        var json = new JsonObject { ["analysis"] = "latency", ["run"] = run.Directory, ["metrics"] = metrics, ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]) };
        var file = Output.Write(context, "latency", json);
        return Task.FromResult(Columns.Result([file], headline, warnings, Columns.Of(["metric", "n", "p50", "p90", "p99", "max", "missing"], rows)));
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
        registry.AddAnalysis(new AnalysisDescriptor("conversations",
            "replayed conversations (turns=all) per turn (queries, accuracy, input tokens, TTFT, E2E, energy) and taken whole "
            + "(energy, duration and tokens per complete conversation, accuracy, IPJ per conversation); writes analysis/conversations.json",
            () => new ConversationsAnalysis()));
        registry.AddAnalysis(new AnalysisDescriptor("coverage",
            "across runs of the same items: the share each run answers right and the best of them together (the study's coverage), "
            + "overall and per subject with bootstrap 95 % CIs, and the items none answers; writes coverage.json beside the runs",
            () => new CoverageAnalysis())
        { AcrossRuns = true });
        registry.AddAnalysis(new AnalysisDescriptor("routing",
            "across runs with --reference RUN: oracle routing to the cheapest local run that answers, and a router of --router-accuracy, "
            + "against the reference alone: accuracy, energy, time, FLOPs and cost saved; writes routing.json beside the runs",
            () => new RoutingAnalysis())
        { AcrossRuns = true });
        registry.AddAnalysis(new AnalysisDescriptor("frontier",
            "across runs: accuracy against energy per query and against latency, and the runs on each Pareto frontier; "
            + "writes frontier.json beside the runs", () => new FrontierAnalysis())
        { AcrossRuns = true });
        registry.AddAnalysis(new AnalysisDescriptor("trend",
            "across runs given oldest first: intelligence per watt by model and hardware, and how much it moved from the first run to the "
            + "last, between models on one hardware and between hardware for one model; writes trend.json beside the runs", () => new TrendAnalysis())
        { AcrossRuns = true });
    }
}
