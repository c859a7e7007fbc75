using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis.Tests;

/// <summary>A run of the study: each item's id, subject, grade, energy, time and FLOPs, in memory.</summary>
internal sealed class StudyRun(string label, params (string Id, bool? Correct, double EnergyJ, double E2eS)[] items) : IRunView
{
    public double Flops { get; init; } = double.NaN;

    /// <summary>Every query's mean power; NaN: the run has no power column.</summary>
    public double PowerW { get; init; } = double.NaN;

    /// <summary>The hardware and model its summary.json names; null: it names none.</summary>
    public (string Hardware, string Model)? Serving { get; init; }

    public string Directory => "/runs/" + label;
    public string Label => label;
    public string SummaryJson => Serving is { } s ? $$$"""{"hardware": {"label": "{{{s.Hardware}}}"}, "model": {"label": "{{{s.Model}}}"}}""" : "{}";
    public long RecordCount => items.Length;
    public IReadOnlyList<string> Columns =>
    [
        RecordColumns.ItemId.Name, RecordColumns.Subject.Name, RecordColumns.Correct.Name, RecordColumns.EnergyJ.Name, RecordColumns.E2eLatencyS.Name,
        .. double.IsNaN(Flops) ? Array.Empty<string>() : ["flops_prefill", "flops_decode"],
        .. double.IsNaN(PowerW) ? Array.Empty<string>() : [RecordColumns.AvgPowerW.Name],
    ];

    public double[] Numbers(string column) => column switch
    {
        "correct" => items.Select(i => i.Correct is { } c ? c ? 1.0 : 0.0 : double.NaN).ToArray(),
        "energy_j" => items.Select(i => i.EnergyJ).ToArray(),
        "e2e_latency_s" => items.Select(i => i.E2eS).ToArray(),
        "flops_prefill" => items.Select(_ => Flops / 4).ToArray(),
        "flops_decode" => items.Select(_ => Flops * 3 / 4).ToArray(),
        "avg_power_w" => items.Select(_ => PowerW).ToArray(),
        _ => throw new ArgumentException(column),
    };

    public IReadOnlyList<string?> Texts(string column) => column switch
    {
        "item_id" => items.Select(i => (string?)i.Id).ToArray(),
        "subject" => items.Select(i => (string?)(int.Parse(i.Id[1..]) <= 3 ? "math" : "logic")).ToArray(),
        _ => throw new ArgumentException(column),
    };

    public IReadOnlyList<TelemetrySeries> Telemetry() => [];
}

/// <summary>
/// The study's analyses across runs on runs built so that every answer is known by hand: a small model A (1 J a query,
/// right on i1 and i2, lacking i6), a medium B (2 J, right on i2–i4) and a large reference C (10 J, right on i1–i5).
/// </summary>
public sealed class StudyTests : IDisposable
{
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("ipw-study-").FullName;

    private static readonly StudyRun A = new("a", ("i1", true, 1, 0.1), ("i2", true, 1, 0.1), ("i3", false, 1, 0.1), ("i4", false, 1, 0.1), ("i5", false, 1, 0.1))
    { Flops = 1e9 };
    private static readonly StudyRun B = new("b", ("i1", false, 2, 0.2), ("i2", true, 2, 0.2), ("i3", true, 2, 0.2), ("i4", true, 2, 0.2), ("i5", false, 2, 0.2),
        ("i6", false, 2, 0.2))
    { Flops = 2e9 };
    private static readonly StudyRun C = new("c", ("i1", true, 10, 1), ("i2", true, 10, 1), ("i3", true, 10, 1), ("i4", true, 10, 1), ("i5", true, 10, 1),
        ("i6", false, 10, 1))
    { Flops = 10e9 };

    private async Task<JsonElement> Run(IAnalysis analysis, IReadOnlyList<IRunView> runs, Dictionary<string, string>? parameters = null)
    {
        var result = await analysis.RunAsync(new AnalysisContext(runs, new Ipw.Core.Runs.ArtifactFolder(_dir)) { Parameters = parameters ?? [] }, default);
        return JsonDocument.Parse(File.ReadAllText(Assert.Single(result.Files))).RootElement;
    }

    private static double D(JsonElement e, string name) => e.GetProperty(name).GetDouble();

    [Fact]
    public async Task Coverage_is_each_runs_share_and_the_best_of_them_with_what_none_answers()
    {
        var json = await Run(new CoverageAnalysis(), [A, B]);
        Assert.Equal(6, json.GetProperty("items").GetInt32());
        var runs = json.GetProperty("runs").EnumerateArray().ToList();
        // A has five of the six items and answers two; B answers three of six; together i1–i4: exactly 2/3.
        Assert.Equal(2.0 / 5, D(runs[0], "coverage"), 12);
        Assert.Equal(1, runs[0].GetProperty("missing").GetInt32());
        Assert.Equal(3.0 / 6, D(runs[1], "coverage"), 12);
        var best = json.GetProperty("best_of_n");
        Assert.Equal(2.0 / 3, D(best, "coverage"), 12);
        Assert.Equal(["i5", "i6"], json.GetProperty("unanswered").EnumerateArray().Select(x => x.GetString()));
        // Per subject: math (i1–i3) all covered, logic (i4–i6) one of three.
        Assert.Equal(1.0, D(best.GetProperty("by_subject").GetProperty("math"), "coverage"));
        Assert.Equal(1.0 / 3, D(best.GetProperty("by_subject").GetProperty("logic"), "coverage"), 12);
        Assert.Contains(json.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("a lacks 1 of the 6 items (e.g. i6)"));
        // The bootstrap interval holds the share, inside [0, 1], the same for the same seed.
        var ci = best.GetProperty("coverage_ci95").EnumerateArray().Select(x => x.GetDouble()).ToList();
        Assert.InRange(2.0 / 3, ci[0], ci[1]);
        Assert.True(ci[0] >= 0 && ci[1] <= 1 && ci[0] < ci[1]);
        var again = await Run(new CoverageAnalysis(), [A, B]);
        Assert.Equal(ci, again.GetProperty("best_of_n").GetProperty("coverage_ci95").EnumerateArray().Select(x => x.GetDouble()));
        // With the reference too, only i6 is left.
        var all = await Run(new CoverageAnalysis(), [A, B, C]);
        Assert.Equal(5.0 / 6, D(all.GetProperty("best_of_n"), "coverage"), 12);
    }

    [Fact]
    public void A_bootstrap_interval_covers_a_known_share_about_95_percent_of_the_time()
    {
        // Samples of 200 items each right with probability 0.7: the interval should hold 0.7 in about 95 % of them.
        var rng = new Random(3);
        var covered = 0;
        for (var trial = 0; trial < 200; trial++)
        {
            var right = Enumerable.Range(0, 200).Select(_ => rng.NextDouble() < 0.7).ToArray();
            var (low, high) = CoverageAnalysis.Bootstrap(right, trial);
            if (low <= 0.7 && 0.7 <= high) covered++;
        }
        Assert.InRange(covered, 180, 198);
    }

    [Fact]
    public async Task Oracle_routing_sends_each_item_to_the_cheapest_run_that_answers_it_and_saves_a_known_fraction()
    {
        var json = await Run(new RoutingAnalysis(), [A, B, C], new() { ["reference"] = C.Directory, ["router_accuracy"] = "1" });
        Assert.Equal(6, json.GetProperty("items").GetInt32());
        var reference = json.GetProperty("reference_only");
        Assert.Equal(60, D(reference, "energy_j"), 9);
        Assert.Equal(5.0 / 6, D(reference, "accuracy"), 12);
        // i1, i2 → A (1 J), i3, i4 → B (2 J), i5, i6 → C (10 J): 26 J of 60; 2.6 s of 6; FLOPs alike.
        var oracle = json.GetProperty("oracle");
        Assert.Equal(26, D(oracle, "energy_j"), 9);
        Assert.Equal(1 - 26.0 / 60, D(oracle, "energy_j_savings"), 12);
        Assert.Equal(1 - 2.6 / 6, D(oracle, "time_s_savings"), 12);
        Assert.Equal(1 - 26e9 / 60e9, D(oracle, "flops_savings"), 12);
        Assert.Equal(4.0 / 6, D(oracle, "local_share"), 12);
        Assert.Equal(5.0 / 6, D(oracle, "accuracy"), 12);
        // No run records a cost: it is missing, not zero.
        Assert.Equal(JsonValueKind.Null, oracle.GetProperty("cost_usd").ValueKind);
        Assert.Equal(JsonValueKind.Null, oracle.GetProperty("cost_usd_savings").ValueKind);
        // A router that is always right is the oracle.
        Assert.Equal(D(oracle, "energy_j"), D(json.GetProperty("router"), "energy_j"), 9);
    }

    [Fact]
    public async Task A_router_that_is_always_wrong_and_one_of_80_percent_fall_where_they_must()
    {
        // Always wrong: i1–i4 go to C (40 J, right), i5 to A (1 J, wrong), i6 to B (A lacks it; 2 J, wrong): 43 J, 4/6 right.
        var wrong = (await Run(new RoutingAnalysis(), [A, B, C], new() { ["reference"] = C.Directory, ["router_accuracy"] = "0" })).GetProperty("router");
        Assert.Equal(43, D(wrong, "energy_j"), 9);
        Assert.Equal(1 - 43.0 / 60, D(wrong, "energy_j_savings"), 12);
        Assert.Equal(4.0 / 6, D(wrong, "accuracy"), 12);
        // At 80 %: each item's expected energy is 0.8 of the oracle's choice and 0.2 of the other: 0.8·26 + 0.2·43 = 29.4 J.
        var router = (await Run(new RoutingAnalysis(), [A, B, C], new() { ["reference"] = C.Directory, ["router_accuracy"] = "0.8" })).GetProperty("router");
        Assert.InRange(D(router, "energy_j"), 29.4 - 1.8, 29.4 + 1.8); // 3 standard errors over 200 draws
        var ci = router.GetProperty("energy_j_savings_ci95").EnumerateArray().Select(x => x.GetDouble()).ToList();
        Assert.InRange(D(router, "energy_j_savings"), ci[0], ci[1]);
        // A draw's savings lie between none (every item to C) and every item to the cheapest local run that has it (9 J):
        // a wrong router can save more than the oracle, by answering wrong.
        Assert.InRange(ci[0], 0, ci[1]);
        Assert.InRange(ci[1], ci[0], 1 - 9.0 / 60 + 1e-9);
        Assert.True(D(router, "accuracy") < 5.0 / 6, "a router that errs answers less than the oracle");
    }

    [Fact]
    public async Task Without_a_reference_routing_says_what_it_needs()
    {
        var analysis = new RoutingAnalysis();
        var result = await analysis.RunAsync(new AnalysisContext([A, B], new Ipw.Core.Runs.ArtifactFolder(_dir)), default);
        Assert.Contains("--reference RUN", result.Table);
    }

    [Fact]
    public async Task The_frontier_holds_the_runs_no_other_beats_on_both_accuracy_and_cost()
    {
        // D is as accurate as A (2 of 5) for five times the energy: dominated.
        var d = new StudyRun("d", ("i1", true, 5, 0.05), ("i2", true, 5, 0.05), ("i3", false, 5, 0.05), ("i4", false, 5, 0.05), ("i5", false, 5, 0.05));
        var json = await Run(new FrontierAnalysis(), [A, B, C, d]);
        var runs = json.GetProperty("runs").EnumerateArray().ToDictionary(r => r.GetProperty("label").GetString()!);
        Assert.True(runs["a"].GetProperty("on_energy_frontier").GetBoolean());
        Assert.True(runs["b"].GetProperty("on_energy_frontier").GetBoolean());
        Assert.True(runs["c"].GetProperty("on_energy_frontier").GetBoolean());
        Assert.False(runs["d"].GetProperty("on_energy_frontier").GetBoolean());
        // On latency D (0.05 s) beats A (0.1 s) at the same accuracy.
        Assert.True(runs["d"].GetProperty("on_latency_frontier").GetBoolean());
        Assert.False(runs["a"].GetProperty("on_latency_frontier").GetBoolean());
        Assert.Equal(0.4, D(runs["a"], "accuracy"), 12);
        Assert.Equal(1.0, D(runs["a"], "mean_energy_j"), 12);
        Assert.Equal([true, false, true], Statistics.ParetoFrontier([(1, 0.5), (2, 0.5), (0.5, 0.1)]));
        Assert.Equal([false], Statistics.ParetoFrontier([(double.NaN, 0.5)]));
    }

    public void Dispose() => System.IO.Directory.Delete(_dir, recursive: true);

    /// <summary>Two model generations on two hardware generations, built so that every IPW is known: the old model answers
    /// 2 of 4, the new one 3 of 4; the old hardware draws 100 W, the new 50 W. IPW = accuracy / mean power.</summary>
    [Fact]
    public async Task Trend_splits_the_change_in_ipw_between_models_and_hardware()
    {
        static StudyRun Gen(string label, string hw, string model, int right, double watts) =>
            new(label, [.. Enumerable.Range(1, 4).Select(k => ($"i{k}", (bool?)(k <= right), watts * 0.5, 0.5))]) { PowerW = watts, Serving = (hw, model) };
        var runs = new[]
        {
            Gen("m1-h1", "h1", "m1", 2, 100), Gen("m1-h2", "h2", "m1", 2, 50), Gen("m2-h1", "h1", "m2", 3, 100), Gen("m2-h2", "h2", "m2", 3, 50),
            Gen("m2-h2-again", "h2", "m2", 1, 50), // the same pair again: the first one is used, and that is said
            new StudyRun("unpowered", ("i1", true, 1, 0.1)) { Serving = ("h3", "m1") },
        };
        var json = await Run(new TrendAnalysis(), runs);
        var ipw = json.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("intelligence_per_watt")).ToList();
        Assert.Equal([0.5 / 100, 0.5 / 50, 0.75 / 100, 0.75 / 50, 0.25 / 50], ipw.Take(5).Select(v => v.GetDouble()));
        Assert.Equal(JsonValueKind.Null, ipw[5].ValueKind); // no power: no IPW, never 0
        Assert.Equal(0.75 / 25, json.GetProperty("runs")[3].GetProperty("intelligence_per_joule").GetDouble(), 12); // 25 J a query
        var matrix = json.GetProperty("ipw_by_model_and_hardware");
        Assert.Equal(0.75 / 50, matrix.GetProperty("m2").GetProperty("h2").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, matrix.GetProperty("m2").GetProperty("h3").ValueKind);
        var factors = json.GetProperty("factors").EnumerateArray().ToDictionary(f => f.GetProperty("kind").GetString()!, f => f.GetProperty("ratio"));
        // Among the runs with an IPW, the first to the last (m2-h2-again, 1 of 4 at 50 W) is no change; models ×1.5 on each
        // hardware; hardware ×2 for each model (h3 has no IPW and is passed over).
        Assert.Equal(1.0, factors["overall"].GetDouble(), 12);
        Assert.Equal(1.5, factors["models on h1"].GetDouble(), 12);
        Assert.Equal(1.5, factors["models on h2"].GetDouble(), 12);
        Assert.Equal(2.0, factors["hardware for m1"].GetDouble(), 12);
        Assert.Equal(2.0, factors["hardware for m2"].GetDouble(), 12);
        var warnings = json.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).ToList();
        Assert.Contains(warnings, w => w!.Contains("m2 on h2 is in several runs; m2-h2 is used, m2-h2-again is not"));
        Assert.Contains(warnings, w => w!.Contains("unpowered has no intelligence per watt (power not measured"));

        // The four generations alone: oldest to newest is the product of the two, 3×.
        var four = await Run(new TrendAnalysis(), runs[..4]);
        Assert.Equal(3.0, four.GetProperty("factors")[0].GetProperty("ratio").GetDouble(), 12);
    }
}
