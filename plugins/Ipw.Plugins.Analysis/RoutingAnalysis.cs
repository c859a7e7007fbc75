using System.Globalization;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using MathNet.Numerics.Random;

namespace Ipw.Plugins.Analysis;

/// <summary>
/// <c>routing</c>, across runs of the same items with one of them the reference (<c>--reference RUN</c>: the cloud or
/// largest model, where every query could go): what routing each query to a local run would have cost against sending
/// them all to the reference. Oracle routing sends an item to the cheapest local run (by its energy for that item)
/// that answers it right, else to the reference. A router of given accuracy (<c>--router-accuracy</c>, 0.8 by default)
/// makes the oracle's choice with that probability and the other one otherwise: an item a local run answers goes to
/// the reference, one none answers goes to the cheapest local run that has it (and is answered wrong); averaged over
/// seeded draws, with the 2.5th and 97.5th percentiles. Energy, time, FLOPs and cost are each totalled only where every
/// item routed has them: a missing one makes the total missing, never a smaller number.
/// </summary>
internal sealed class RoutingAnalysis : IAnalysis
{
    internal const int Draws = 200;

    private static readonly string[] Measures = ["energy_j", "time_s", "flops", "cost_usd"];

    private static double Of(ItemOutcome o, int measure) => measure switch { 0 => o.EnergyJ, 1 => o.E2eS, 2 => o.Flops, _ => o.CostUsd };

    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var runs = context.Runs.Select(RunItems.Read).ToList();
        if (!context.Parameters.TryGetValue("reference", out var referencePath))
            return Task.FromResult(NotApplicable(context, "routing needs the reference run: give --reference RUN (the cloud or largest model's run)"));
        var reference = runs.FirstOrDefault(r => Same(r.Run.Directory, referencePath))
            ?? throw new InvalidOperationException($"the reference run {referencePath} is not among the runs analysed");
        var local = runs.Where(r => r != reference).ToList();
        if (local.Count == 0) return Task.FromResult(NotApplicable(context, "routing needs at least one run besides the reference"));
        var accuracy = context.Parameters.TryGetValue("router_accuracy", out var a) ? double.Parse(a, CultureInfo.InvariantCulture) : 0.8;
        var seed = context.Parameters.TryGetValue("seed", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 0;

        var items = reference.Items.Where(p => p.Value.Correct is not null).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        var warnings = new List<string>();
        var lacking = RunItems.Graded(local).Count(id => !reference.Items.TryGetValue(id, out var o) || o.Correct is null);
        if (lacking > 0) warnings.Add($"routing: {lacking} items graded in a local run are not graded in the reference and are left out");
        warnings.AddRange(local.Select(r => r.Missing("routing", items)).OfType<string>());

        // Each item: the oracle's local run (the cheapest that answers it right), and the cheapest local run that has it.
        var oracle = new RunItems?[items.Count];
        var cheapest = new RunItems?[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var id = items[i];
            var holding = local.Where(r => r.Items.ContainsKey(id)).ToList();
            cheapest[i] = holding.MinBy(r => Cost(r.Items[id]));
            oracle[i] = holding.Where(r => r.Items[id].Correct == true).MinBy(r => Cost(r.Items[id]));
        }
        if (items.Any(id => local.Any(r => r.Items.TryGetValue(id, out var o) && double.IsNaN(o.EnergyJ))))
            warnings.Add("routing: some local answers have no energy: the cheapest local run is chosen by end-to-end time where energy is missing");

        var referenceOnly = Totals(items, _ => reference, reference);
        var oracleTotals = Totals(items, i => oracle[i] ?? reference, reference);
        var random = new MersenneTwister(seed);
        var draws = Enumerable.Range(0, Draws).Select(_ =>
        {
            var choice = new RunItems[items.Count];
            for (var i = 0; i < items.Count; i++)
                choice[i] = random.NextDouble() < accuracy ? oracle[i] ?? reference : oracle[i] is not null ? reference : cheapest[i] ?? reference;
            return Totals(items, i => choice[i], reference);
        }).ToList();

        var json = new JsonObject
        {
            ["analysis"] = "routing",
            ["reference"] = reference.Run.Directory,
            ["local"] = new JsonArray([.. local.Select(r => JsonValue.Create(r.Run.Directory))]),
            ["items"] = items.Count,
            ["definitions"] = "oracle: each item to the cheapest local run (by its energy) that answers it right, else the reference; "
                + $"router: the oracle's choice with probability {accuracy.ToString(CultureInfo.InvariantCulture)}, else the other "
                + $"(a locally answerable item to the reference, another to the cheapest local run); {Draws} draws, seed {seed}; "
                + "savings = 1 − policy total / reference-only total",
            ["reference_only"] = Entry(referenceOnly, referenceOnly),
            ["oracle"] = Entry(oracleTotals, referenceOnly),
            ["router"] = RouterEntry(draws, referenceOnly, accuracy),
            ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]),
        };
        var file = Output.Write(context, "routing", json);
        var rows = new List<IReadOnlyList<string>>
        {
            Row($"reference only ({reference.Label})", referenceOnly, referenceOnly, null),
            Row("oracle routing", oracleTotals, referenceOnly, null),
            Row($"router {accuracy * 100:0} % accurate", Mean(draws), referenceOnly, draws),
        };
        var table = Columns.Of(["policy", "accuracy", "local", "energy", "time", "FLOPs", "cost"], rows);
        var headline = new Dictionary<string, double?>
        {
            ["oracle_energy_savings"] = Saving(oracleTotals, referenceOnly, 0),
            ["router_energy_savings"] = Saving(Mean(draws), referenceOnly, 0),
        };
        return Task.FromResult(Columns.Result([file], headline, warnings, table));
    }

    /// <summary>What chooses the cheapest local run: its energy for the item, or, without one, its time.</summary>
    private static (int, double) Cost(ItemOutcome o) => double.IsNaN(o.EnergyJ) ? (1, o.E2eS) : (0, o.EnergyJ);

    private sealed record Policy(double Accuracy, double LocalShare, double[] Totals);

    private static Policy Totals(List<string> items, Func<int, RunItems> route, RunItems reference)
    {
        var totals = new double[Measures.Length];
        int right = 0, local = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var run = route(i);
            var o = run.Items[items[i]];
            if (o.Correct == true) right++;
            if (run != reference) local++;
            for (var m = 0; m < totals.Length; m++) totals[m] += Of(o, m); // a NaN makes the total NaN: missing, not smaller
        }
        return new Policy(items.Count > 0 ? (double)right / items.Count : double.NaN, items.Count > 0 ? (double)local / items.Count : double.NaN, totals);
    }

    private static Policy Mean(List<Policy> draws) => new(draws.Average(d => d.Accuracy), draws.Average(d => d.LocalShare),
        Enumerable.Range(0, Measures.Length).Select(m => draws.Average(d => d.Totals[m])).ToArray());

    private static double? Saving(Policy p, Policy reference, int m) =>
        double.IsFinite(p.Totals[m]) && reference.Totals[m] is > 0 and var r && double.IsFinite(r) ? 1 - p.Totals[m] / r : null;

    private static JsonObject Entry(Policy p, Policy reference)
    {
        var e = new JsonObject { ["accuracy"] = Output.Num(p.Accuracy), ["local_share"] = Output.Num(p.LocalShare) };
        for (var m = 0; m < Measures.Length; m++)
        {
            e[Measures[m]] = Output.Num(p.Totals[m]);
            e[Measures[m] + "_savings"] = Output.Num(Saving(p, reference, m));
        }
        return e;
    }

    private static JsonObject RouterEntry(List<Policy> draws, Policy reference, double accuracy)
    {
        var e = Entry(Mean(draws), reference);
        e["router_accuracy"] = accuracy;
        e["draws"] = draws.Count;
        e["accuracy_ci95"] = Interval(draws.Select(d => d.Accuracy));
        for (var m = 0; m < Measures.Length; m++)
            e[Measures[m] + "_savings_ci95"] = Interval(draws.Select(d => Saving(d, reference, m) ?? double.NaN));
        return e;
    }

    private static JsonArray? Interval(IEnumerable<double> values)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0 || sorted.Any(double.IsNaN)) return null;
        Array.Sort(sorted);
        return new JsonArray(Output.Num(Statistics.Percentile(sorted, 2.5)), Output.Num(Statistics.Percentile(sorted, 97.5)));
    }

    private static IReadOnlyList<string> Row(string name, Policy p, Policy reference, List<Policy>? draws)
    {
        string Cell(int m, string unit)
        {
            if (!double.IsFinite(p.Totals[m])) return "n/a";
            var total = Columns.Format(p.Totals[m], unit);
            if (p == reference) return total;
            var saving = Saving(p, reference, m);
            var text = saving is { } sv ? $"{total} ({-sv * 100:+0.0;−0.0;0.0} %" : total;
            if (saving is null) return text;
            if (draws is not null && Interval(draws.Select(d => Saving(d, reference, m) ?? double.NaN)) is { } ci)
                text += $", CI {-ci[1]!.GetValue<double>() * 100:+0.0;−0.0;0.0} to {-ci[0]!.GetValue<double>() * 100:+0.0;−0.0;0.0}";
            return text + ")";
        }
        return
        [
            name, double.IsFinite(p.Accuracy) ? $"{p.Accuracy * 100:0.0} %" : "n/a", double.IsFinite(p.LocalShare) ? $"{p.LocalShare * 100:0.0} %" : "n/a",
            Cell(0, "J"), Cell(1, "s"), Cell(2, ""), Cell(3, "$"),
        ];
    }

    private static AnalysisResult NotApplicable(AnalysisContext context, string reason)
    {
        var file = Output.Write(context, "routing", new JsonObject { ["analysis"] = "routing", ["reason"] = reason });
        return new AnalysisResult([file], reason + "\n", new Dictionary<string, double?>(), []);
    }

    private static bool Same(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);
}
