using System.Globalization;
using System.Text.Json.Nodes;
using Ipw.Abstractions;

namespace Ipw.Plugins.Analysis;

/// <summary>
/// <c>conversations</c>: a run of replayed conversations (<c>turns=all</c>) per turn position (queries, successes,
/// accuracy, input tokens, TTFT, end-to-end latency and energy: what the growing context costs) and per conversation
/// taken whole (<see cref="ConversationTotal"/>: energy, duration and output tokens of the complete ones, the share with
/// every graded turn right, and intelligence per joule with the conversation as the unit). A run of single queries
/// has none, and says so.
/// </summary>
internal sealed class ConversationsAnalysis : IAnalysis
{
    private sealed class TurnTally
    {
        public int Queries, Ok, Graded, Right;
        public readonly List<double> Input = [], Ttft = [], E2e = [], Energy = [];
    }

    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var run = context.Runs[0];
        var warnings = new List<string>();
        var ids = run.Columns.Contains(RecordColumns.ConversationId.Name) ? run.Texts(RecordColumns.ConversationId.Name) : null;
        var turn = Columns.Get(run, RecordColumns.Turn.Name);
        if (ids is null || turn is null || !ids.Any(id => id is not null))
        {
            var none = new JsonObject
            {
                ["analysis"] = "conversations",
                ["run"] = run.Directory,
                ["conversations"] = 0,
                ["reason"] = "the run sent single queries, not replayed conversations (--dataset-param turns=all)",
            };
            return Task.FromResult(new AnalysisResult([Output.Write(context, "conversations", none)],
                "no replayed conversations in this run (--dataset-param turns=all replays them)\n", new Dictionary<string, double?>(), warnings));
        }

        var planned = Columns.Get(run, RecordColumns.ConversationTurns.Name);
        var status = run.Columns.Contains(RecordColumns.Status.Name) ? run.Texts(RecordColumns.Status.Name) : null;
        var correct = Columns.Get(run, RecordColumns.Correct.Name);
        var energy = Columns.Get(run, RecordColumns.EnergyJ.Name);
        var input = Columns.Get(run, RecordColumns.InputTokens.Name);
        var output = Columns.Get(run, RecordColumns.OutputTokens.Name);
        var ttft = Columns.Get(run, RecordColumns.TtftS.Name);
        var e2e = Columns.Get(run, RecordColumns.E2eLatencyS.Name);
        var sent = Columns.Get(run, RecordColumns.SentAtS.Name);
        var completed = Columns.Get(run, RecordColumns.CompletedAtS.Name);
        static double? At(double[]? column, int i) => column is null || double.IsNaN(column[i]) ? null : column[i];

        var turns = new SortedDictionary<int, TurnTally>();
        var wholes = new Dictionary<string, ConversationTotal>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] is not { } id || double.IsNaN(turn[i])) continue;
            var ok = (status?[i] ?? "ok") == "ok";
            bool? right = At(correct, i) is { } c ? c == 1 : null;
            if (!wholes.TryGetValue(id, out var total)) wholes[id] = total = new ConversationTotal();
            total.Add(At(planned, i) is { } p ? (int)p : null, ok, At(energy, i), At(sent, i), At(completed, i), At(output, i), right);

            if (!turns.TryGetValue((int)turn[i], out var t)) turns[(int)turn[i]] = t = new TurnTally();
            t.Queries++;
            if (right is { } r) { t.Graded++; if (r) t.Right++; }
            if (!ok) continue;
            t.Ok++;
            if (At(input, i) is { } x) t.Input.Add(x);
            if (At(ttft, i) is { } f) t.Ttft.Add(f);
            if (At(e2e, i) is { } l) t.E2e.Add(l);
            if (At(energy, i) is { } e) t.Energy.Add(e);
        }

        var byTurn = new JsonArray();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (k, t) in turns)
        {
            double? accuracy = t.Graded > 0 ? (double)t.Right / t.Graded : null;
            // A turn position's energy needs every successful turn's: a mean over some of them would not be the position's.
            var turnEnergy = t.Energy.Count == t.Ok ? t.Energy : [];
            byTurn.Add(new JsonObject
            {
                ["turn"] = k,
                ["queries"] = t.Queries,
                ["ok"] = t.Ok,
                ["graded"] = t.Graded,
                ["accuracy"] = Output.Num(accuracy),
                ["mean_input_tokens"] = Output.Num(Columns.Mean([.. t.Input])),
                ["ttft_s"] = Percentiles(t.Ttft),
                ["e2e_latency_s"] = Percentiles(t.E2e),
                ["energy_j"] = Percentiles(turnEnergy),
            });
            rows.Add([Count(k), Count(t.Queries), Count(t.Ok), accuracy is { } a ? $"{a * 100:0.0} %" : "n/a",
                Columns.Format(Columns.Mean([.. t.Input])), Columns.Format(Median(t.Ttft), "s"), Columns.Format(Median(t.E2e), "s"),
                Columns.Format(Columns.Mean([.. turnEnergy]), "J")]);
        }

        var complete = wholes.Values.Where(w => w.Complete).ToList();
        var energyPer = complete.Select(w => w.EnergyJ).OfType<double>().ToList();
        if (complete.Count > 0 && energyPer.Count < complete.Count)
            warnings.Add($"conversations: {complete.Count - energyPer.Count} of {complete.Count} complete conversations lack a turn's energy: energy per conversation is not computed");
        if (complete.Count < wholes.Count)
            warnings.Add($"conversations: {wholes.Count - complete.Count} of {wholes.Count} conversations ended early (a failed turn or a stop) and are not taken whole");
        var gradedWholes = complete.Where(w => w.Correct is not null).ToList();
        var figures = Statistics.Intelligence(gradedWholes.Count, gradedWholes.Count(w => w.Correct == true),
            gradedWholes.Sum(w => w.EnergyJ ?? 0), gradedWholes.Count(w => w.EnergyJ is not null), 0, 0);
        var energies = energyPer.Count == complete.Count ? energyPer : [];
        var durations = complete.Select(w => w.DurationS).OfType<double>().ToList();
        var tokens = complete.Select(w => w.OutputTokens).OfType<long>().Select(v => (double)v).ToList();
        double? tokensPerJoule = energies.Count > 0 && tokens.Count == complete.Count ? tokens.Sum() / energies.Sum() : null;
        var perConversation = new JsonObject
        {
            ["conversations"] = wholes.Count,
            ["complete"] = complete.Count,
            ["mean_turns"] = Output.Num(wholes.Values.Average(w => w.Turns)),
            ["energy_j"] = Percentiles(energies),
            ["duration_s"] = Percentiles(durations),
            ["output_tokens"] = Percentiles(tokens),
            ["tokens_per_joule"] = Output.Num(tokensPerJoule),
            ["graded"] = gradedWholes.Count,
            ["accuracy"] = Output.Num(figures.Accuracy),
            ["accuracy_ci95"] = figures.AccuracyCi95 is { } ci ? new JsonArray(Output.Num(ci.Low), Output.Num(ci.High)) : null,
            ["intelligence_per_joule"] = Output.Num(figures.PerJoule),
        };
        var wholeTable = Columns.Of(["conversations", "complete", "accuracy", "J p50", "J mean", "duration p50", "IPJ (1/J)"],
        [[
            Count(wholes.Count), Count(complete.Count), figures.Accuracy is { } wa ? $"{wa * 100:0.0} %" : "n/a",
            Columns.Format(Median(energies), "J"), Columns.Format(Columns.Mean([.. energies]), "J"), Columns.Format(Median(durations), "s"),
            Columns.Format(figures.PerJoule),
        ]]);

        var json = new JsonObject
        {
            ["analysis"] = "conversations",
            ["run"] = run.Directory,
            ["definitions"] = "a conversation is taken whole only when every turn was sent and answered; its energy is its turns' summed, "
                + "its duration runs from the first turn's send to the last turn's end (think time included), it is right when every graded turn is; "
                + "intelligence_per_joule = accuracy over the mean energy per graded conversation",
            ["by_turn"] = byTurn,
            ["per_conversation"] = perConversation,
            ["warnings"] = new JsonArray([.. warnings.Select(w => JsonValue.Create(w))]),
        };
        var file = Output.Write(context, "conversations", json);
        var table = Columns.Of(["turn", "queries", "ok", "accuracy", "input tok", "TTFT p50", "E2E p50", "J mean"], rows);
        var headline = new Dictionary<string, double?>
        {
            ["conversation_energy_j_mean"] = Columns.Mean([.. energies]),
            ["conversation_duration_s_p50"] = Median(durations),
            ["conversation_accuracy"] = figures.Accuracy,
        };
        return Task.FromResult(Columns.Result([file], headline, warnings, table, wholeTable));
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static double? Median(List<double> values) => Columns.Percentile(Sorted(values), 50);

    private static double[] Sorted(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    private static JsonObject Percentiles(List<double> values)
    {
        var sorted = Sorted(values);
        return new JsonObject
        {
            ["n"] = sorted.Length,
            ["mean"] = Output.Num(Columns.Mean(sorted)),
            ["p50"] = Output.Num(Columns.Percentile(sorted, 50)),
            ["p90"] = Output.Num(Columns.Percentile(sorted, 90)),
            ["p99"] = Output.Num(Columns.Percentile(sorted, 99)),
            ["max"] = Output.Num(Columns.Percentile(sorted, 100)),
        };
    }
}
