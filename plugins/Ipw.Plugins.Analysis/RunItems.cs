using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis;

/// <summary>One item's outcome in one run: what the analyses across runs compare (NaN where not measured).</summary>
internal readonly record struct ItemOutcome(string? Subject, bool? Correct, double EnergyJ, double E2eS, double Flops, double CostUsd);

/// <summary>
/// One run's outcomes by item id, for the analyses that match runs item by item (coverage, routing). An item a run
/// holds more than once (a repeated workload) counts once, by its first record: the repeats are counted and reported.
/// FLOPs are the record's prefill and decode FLOPs summed and cost its <c>cost_usd</c>, where the run has them.
/// </summary>
internal sealed class RunItems
{
    /// <summary>The columns of a query's FLOPs and cost; a run without them has none measured.</summary>
    public const string FlopsPrefill = "flops_prefill", FlopsDecode = "flops_decode", CostUsd = "cost_usd";

    public required IRunView Run { get; init; }
    public required Dictionary<string, ItemOutcome> Items { get; init; }
    public int Repeats { get; init; }

    public string Label => Run.Label;

    public static RunItems Read(IRunView run)
    {
        var n = (int)run.RecordCount;
        var ids = run.Texts(RecordColumns.ItemId.Name);
        var subject = run.Columns.Contains(RecordColumns.Subject.Name) ? run.Texts(RecordColumns.Subject.Name) : null;
        var correct = Columns.Get(run, RecordColumns.Correct.Name);
        var energy = Columns.Get(run, RecordColumns.EnergyJ.Name);
        var e2e = Columns.Get(run, RecordColumns.E2eLatencyS.Name);
        var prefill = Columns.Get(run, FlopsPrefill);
        var decode = Columns.Get(run, FlopsDecode);
        var cost = Columns.Get(run, CostUsd);
        static double At(double[]? c, int i) => c is null ? double.NaN : c[i];
        var items = new Dictionary<string, ItemOutcome>(n, StringComparer.Ordinal);
        var repeats = 0;
        for (var i = 0; i < n; i++)
        {
            if (ids[i] is not { } id) continue;
            if (items.ContainsKey(id)) { repeats++; continue; }
            var c = At(correct, i);
            items[id] = new ItemOutcome(subject?[i], double.IsNaN(c) ? null : c == 1, At(energy, i), At(e2e, i), At(prefill, i) + At(decode, i), At(cost, i));
        }
        return new RunItems { Run = run, Items = items, Repeats = repeats };
    }

    /// <summary>The items graded in at least one of <paramref name="runs"/>, in a fixed order.</summary>
    public static List<string> Graded(IEnumerable<RunItems> runs) =>
        runs.SelectMany(r => r.Items.Where(p => p.Value.Correct is not null).Select(p => p.Key)).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>A sentence naming the items of <paramref name="universe"/> this run lacks, or null when it has them all.</summary>
    public string? Missing(string analysis, IReadOnlyCollection<string> universe)
    {
        var missing = universe.Where(id => !Items.ContainsKey(id)).ToList();
        return missing.Count == 0 ? null
            : $"{analysis}: {Label} lacks {missing.Count} of the {universe.Count} items (e.g. {string.Join(", ", missing.Take(5))})";
    }
}
