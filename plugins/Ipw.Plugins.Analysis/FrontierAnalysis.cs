using System.Text.Json.Nodes;
using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis;

/// <summary>
/// <c>frontier</c>, across runs: each run's accuracy against its mean energy per graded query and against its mean
/// end-to-end latency, and which runs are on the Pareto frontier of each (<see cref="Statistics.ParetoFrontier"/>: no
/// other run is as accurate for less, or more accurate for as little). The <c>frontier</c> visualization draws it.
/// </summary>
internal sealed class FrontierAnalysis : IAnalysis
{
    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var points = context.Runs.Select(RunPoint.Of).ToList();
        var onEnergy = Statistics.ParetoFrontier(points.Select(p => (p.MeanEnergyJ, p.Accuracy)).ToList());
        var onLatency = Statistics.ParetoFrontier(points.Select(p => (p.MeanE2eS, p.Accuracy)).ToList());
        var warnings = new List<string>();
        warnings.AddRange(points.Where(p => p.Graded == 0).Select(p => $"frontier: {p.Label} has no graded queries and is on no frontier"));
        warnings.AddRange(points.Where(p => p.Graded > 0 && double.IsNaN(p.MeanEnergyJ))
            .Select(p => $"frontier: {p.Label} lacks energy for some graded queries and is on no energy frontier"));
        var runs = new JsonArray();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (p, i) in points.Select((p, i) => (p, i)).OrderBy(x => double.IsNaN(x.p.MeanEnergyJ) ? double.MaxValue : x.p.MeanEnergyJ))
        {
            runs.Add(new JsonObject
            {
                ["label"] = p.Label,
                ["run"] = p.Directory,
                ["graded"] = p.Graded,
                ["accuracy"] = Output.Num(p.Accuracy),
                ["mean_energy_j"] = Output.Num(p.MeanEnergyJ),
                ["mean_e2e_latency_s"] = Output.Num(p.MeanE2eS),
                ["on_energy_frontier"] = onEnergy[i],
                ["on_latency_frontier"] = onLatency[i],
            });
            rows.Add([p.Label, p.Graded.ToString(System.Globalization.CultureInfo.InvariantCulture),
                double.IsNaN(p.Accuracy) ? "n/a" : $"{p.Accuracy * 100:0.0} %", Columns.Format(p.MeanEnergyJ, "J"), Columns.Format(p.MeanE2eS, "s"),
                onEnergy[i] ? "yes" : "", onLatency[i] ? "yes" : ""]);
        }
        var json = new JsonObject
        {
            ["analysis"] = "frontier",
            ["definitions"] = "accuracy over graded queries; mean energy and mean end-to-end latency per graded query; on a frontier when no other run "
                + "costs no more and is no less accurate, and is better in one of them",
            ["runs"] = runs,
            ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]),
        };
        var file = Output.Write(context, "frontier", json);
        var table = Columns.Of(["run", "graded", "accuracy", "J/query", "E2E mean", "energy frontier", "latency frontier"], rows);
        return Task.FromResult(Columns.Result([file], new Dictionary<string, double?>(), warnings, table));
    }
}
