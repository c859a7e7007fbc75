using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis;

/// <summary>
/// <c>trend</c>, across runs: how intelligence per watt moved between hardware and between models, as the study follows
/// it across generations. Each run's accuracy, mean power and intelligence per watt and per joule
/// (<see cref="RunPoint"/>: <see cref="Statistics.Intelligence"/>'s definitions), a table of IPW by model and hardware
/// (each named as its run's summary.json names it), and the factors between them taken in the order the runs are given
/// (oldest first): from the first run to the last, from the first model to the last on each hardware, and from the first
/// hardware to the last for each model, each among those with an IPW. A pair met twice uses its first run, and says so.
/// </summary>
internal sealed class TrendAnalysis : IAnalysis
{
    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var runs = context.Runs.Select(r => (Point: RunPoint.Of(r), Serving: Serving(r))).Select(r => (r.Point, r.Serving.Hardware, r.Serving.Model)).ToList();
        warnings.AddRange(runs.Where(r => double.IsNaN(r.Point.IntelligencePerWatt))
            .Select(r => $"trend: {r.Point.Label} has no intelligence per watt ({(r.Point.Graded == 0 ? "no graded queries" : "power not measured for every graded query")})"));
        var hardware = runs.Select(r => r.Hardware).Distinct().ToList();
        var models = runs.Select(r => r.Model).Distinct().ToList();
        var cells = new Dictionary<(string Model, string Hardware), RunPoint>();
        foreach (var (point, hw, model) in runs)
            if (!cells.TryAdd((model, hw), point))
                warnings.Add($"trend: {model} on {hw} is in several runs; {cells[(model, hw)].Label} is used, {point.Label} is not");
        double Ipw(string model, string hw) => cells.TryGetValue((model, hw), out var p) ? p.IntelligencePerWatt : double.NaN;

        // Between the first and the last that have an IPW (those without one are warned about above).
        var factors = new List<(string Kind, string From, string To, double Ratio)>();
        var measured = runs.Where(r => !double.IsNaN(r.Point.IntelligencePerWatt)).ToList();
        if (measured.Count >= 2)
            factors.Add(("overall", measured[0].Point.Label, measured[^1].Point.Label, measured[^1].Point.IntelligencePerWatt / measured[0].Point.IntelligencePerWatt));
        foreach (var hw in hardware)
        {
            var on = models.Where(m => !double.IsNaN(Ipw(m, hw))).ToList();
            if (on.Count >= 2) factors.Add(($"models on {hw}", on[0], on[^1], Ipw(on[^1], hw) / Ipw(on[0], hw)));
        }
        foreach (var model in models)
        {
            var on = hardware.Where(h => !double.IsNaN(Ipw(model, h))).ToList();
            if (on.Count >= 2) factors.Add(($"hardware for {model}", on[0], on[^1], Ipw(model, on[^1]) / Ipw(model, on[0])));
        }

        var json = new JsonObject
        {
            ["analysis"] = "trend",
            ["definitions"] = Statistics.IntelligenceDefinitions + "; a factor is the later IPW over the earlier, runs taken in the order given (oldest first)",
            ["runs"] = new JsonArray([.. runs.Select(r => (JsonNode)new JsonObject
            {
                ["label"] = r.Point.Label,
                ["run"] = r.Point.Directory,
                ["hardware"] = r.Hardware,
                ["model"] = r.Model,
                ["graded"] = r.Point.Graded,
                ["accuracy"] = Output.Num(r.Point.Accuracy),
                ["mean_power_w"] = Output.Num(r.Point.MeanPowerW),
                ["intelligence_per_watt"] = Output.Num(r.Point.IntelligencePerWatt),
                ["intelligence_per_joule"] = Output.Num(r.Point.IntelligencePerJoule),
            })]),
            ["ipw_by_model_and_hardware"] = new JsonObject(models.Select(m => KeyValuePair.Create(m,
                (JsonNode?)new JsonObject(hardware.Select(h => KeyValuePair.Create(h, Output.Num(Ipw(m, h)))))))),
            ["factors"] = new JsonArray([.. factors.Select(f => (JsonNode)new JsonObject
            {
                ["kind"] = f.Kind, ["from"] = f.From, ["to"] = f.To, ["ratio"] = Output.Num(f.Ratio),
            })]),
            ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]),
        };
        var file = Output.Write(context, "trend", json);
        var perRun = Columns.Of(["run", "hardware", "model", "graded", "accuracy", "mean power", "IPW (1/W)", "IPJ (1/J)"],
            runs.Select(r => (IReadOnlyList<string>)[r.Point.Label, r.Hardware, r.Model, r.Point.Graded.ToString(CultureInfo.InvariantCulture),
                double.IsNaN(r.Point.Accuracy) ? "n/a" : $"{r.Point.Accuracy * 100:0.0} %", Columns.Format(r.Point.MeanPowerW, "W"),
                Columns.Format(r.Point.IntelligencePerWatt, ""), Columns.Format(r.Point.IntelligencePerJoule, "")]));
        var matrix = Columns.Of(["IPW (1/W): model \\ hardware", .. hardware],
            models.Select(m => (IReadOnlyList<string>)[m, .. hardware.Select(h => cells.ContainsKey((m, h)) ? Columns.Format(Ipw(m, h), "") : "")]),
            "blank: no run of that model on that hardware");
        var moved = Columns.Of(["change", "from", "to", "IPW ×"],
            factors.Select(f => (IReadOnlyList<string>)[f.Kind, f.From, f.To, double.IsFinite(f.Ratio) ? f.Ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "n/a"]),
            factors.Count > 0 ? "runs taken in the order given, oldest first"
                : "no change to tell: fewer than two runs with an intelligence per watt (on one hardware, or of one model)");
        var headline = new Dictionary<string, double?> { ["ipw_overall_ratio"] = factors.Count > 0 && double.IsFinite(factors[0].Ratio) ? factors[0].Ratio : null };
        return Task.FromResult(Columns.Result([file], headline, warnings, perRun, matrix, moved));
    }

    /// <summary>The run's hardware and model as summary.json labels them (<c>hardware.label</c>, <c>model.label</c>), read
    /// once; the run's own label for one it does not name.</summary>
    private static (string Hardware, string Model) Serving(IRunView run)
    {
        try
        {
            using var summary = JsonDocument.Parse(run.SummaryJson);
            string Label(string section) =>
                summary.RootElement.TryGetProperty(section, out var s) && s.ValueKind == JsonValueKind.Object && s.TryGetProperty("label", out var label)
                && label.ValueKind == JsonValueKind.String && label.GetString() is { Length: > 0 } text ? text : run.Label;
            return (Label("hardware"), Label("model"));
        }
        catch (JsonException)
        {
            return (run.Label, run.Label); // a summary that cannot be read names nothing
        }
    }
}
