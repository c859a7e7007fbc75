using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Core.Runs;

namespace Ipw.Core.Scoring;

/// <summary>What rescoring a run found.</summary>
public sealed record ScoreOutcome(string RunPath, int Rows, int Graded, int Correct, JsonObject Intelligence);

/// <summary>
/// Scores or rescores a finished run: every row's answer is graded again (with its own grader, or one given for all
/// rows that have a reference), the data file is rewritten with the new grading columns (atomically: a crash leaves
/// the old file), and summary.json gets the new intelligence section. Batches are streamed, so run length does not matter.
/// </summary>
public static class RunScorer
{
    /// <summary>Rescores a run; rows graded by <c>judge</c> (their own grader, or <paramref name="grader"/>) go to
    /// <paramref name="judge"/>, one at a time.</summary>
    public static async Task<ScoreOutcome> RescoreAsync(string runPath, string? grader, Judge? judge, CancellationToken cancellationToken,
        string? baselineRun = null)
    {
        if (grader is not null && Graders.Problem(grader) is { } problem) throw new UserError($"--grader: {problem}");
        var data = Path.Combine(runPath, RunFolder.DataFileName);
        var summaryPath = Path.Combine(runPath, RunFolder.SummaryFileName);
        if (!File.Exists(data) || !File.Exists(summaryPath))
            throw new UserError($"'{runPath}' is not a run folder (it needs {RunFolder.DataFileName} and {RunFolder.SummaryFileName})");
        JsonObject summary;
        try
        {
            summary = JsonNode.Parse(File.ReadAllText(summaryPath)) as JsonObject ?? throw new UserError($"{summaryPath}: not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new UserError($"{summaryPath}: not valid JSON ({e.Message})");
        }
        if (summary["status"]?.GetValue<string>() == "running")
            throw new UserError($"'{runPath}' is still running (summary.json says so); score it when it ends");

        var baseline = baselineRun is null ? null : BaselineAnswers(baselineRun);
        var schema = RecordSchema.Layout.Schema;
        var temp = data + ".scoring";
        var tally = new IntelligenceTally();
        int rows = 0, graded = 0, correct = 0;
        try
        {
            using (var input = new FileStream(data, FileMode.Open, FileAccess.Read, FileShare.Read))
            using (var reader = new ArrowStreamReader(input))
            using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new ArrowStreamWriter(output, schema))
            {
                writer.WriteStart();
                while (reader.ReadNextRecordBatch() is { } batch)
                {
                    using (batch)
                    {
                        if (!SameFields(batch.Schema, schema))
                            throw new UserError($"{data}: its columns differ from this ipw version's (made by ipw {summary["ipw_version"]}); it cannot be rescored in place");
                        var records = await RegradeAsync(batch, grader, judge, baseline, cancellationToken).ConfigureAwait(false);
                        foreach (var r in records)
                        {
                            rows++;
                            tally.Add(r);
                            if (r.Correct is { } ok) { graded++; if (ok) correct++; }
                        }
                        // The new batch shares the untouched columns with the one read: disposing the read batch frees them.
                        writer.WriteRecordBatch(Replace(batch, records));
                    }
                }
                writer.WriteEnd();
            }
            File.Move(temp, data, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }

        var intelligence = tally.ToJson(summary["energy"]?["available"]?.GetValue<bool>() == false ? summary["energy"]?["reason"]?.GetValue<string>() : null);
        intelligence["scored_at"] = DateTimeOffset.UtcNow.ToString("O");
        if (grader is not null) intelligence["grader_override"] = grader;
        if (judge is not null) intelligence["judge"] = judge.Describe(baselineRun);
        summary["intelligence"] = intelligence;
        File.WriteAllText(summaryPath + ".tmp", summary.ToJsonString(RunFolder.Json));
        File.Move(summaryPath + ".tmp", summaryPath, overwrite: true);
        return new ScoreOutcome(runPath, rows, graded, correct, intelligence);
    }

    private static bool SameFields(Schema a, Schema b) =>
        a.FieldsList.Count == b.FieldsList.Count && a.FieldsList.Zip(b.FieldsList).All(p => p.First.Name == p.Second.Name && p.First.DataType.TypeId == p.Second.DataType.TypeId);

    private static string? Str(RecordBatch b, string column, int i) => ((StringArray)b.Column(column)).GetString(i);

    private static double? Dbl(RecordBatch b, string column, int i) => ((DoubleArray)b.Column(column)).GetValue(i);

    /// <summary>The rows' new grades, as records holding what grading and the tally need.</summary>
    private static async Task<List<QueryRecord>> RegradeAsync(RecordBatch batch, string? graderOverride, Judge? judge,
        Dictionary<string, string>? baseline, CancellationToken cancellationToken)
    {
        var list = new List<QueryRecord>(batch.Length);
        for (var i = 0; i < batch.Length; i++)
        {
            var reference = Str(batch, "reference", i);
            var record = new QueryRecord
            {
                Subject = Str(batch, "subject", i),
                Status = Str(batch, "status", i) ?? "ok",
                Response = Str(batch, "response", i) ?? "",
                Reference = reference,
                Grader = Str(batch, "grader", i),
                EnergyJ = Dbl(batch, "energy_j", i),
                AvgPowerW = Dbl(batch, "avg_power_w", i),
            };
            // An override applies to rows with a reference; a pairwise judge against a baseline run needs none.
            var overrides = graderOverride is not null && (reference is not null || (graderOverride == "judge" && baseline is not null));
            var grader = overrides ? graderOverride : record.Grader;
            if (grader == "judge" && judge is not null && record.Status == "ok")
            {
                var id = Str(batch, "item_id", i) ?? "";
                var (grade, reason) = await judge.GradeAsync(id, Str(batch, "prompt", i) ?? "", reference, record.Response,
                    baseline?.GetValueOrDefault(id), cancellationToken).ConfigureAwait(false);
                (record.Correct, record.Score, record.GradeExplanation) = grade is null ? ((bool?)null, (double?)null, reason) : (grade.Correct, grade.Score, grade.Explanation);
            }
            else
            {
                Graders.GradeInto(record, grader, reference, record.Response, failed: record.Status != "ok");
            }
            list.Add(record);
        }
        return list;
    }

    /// <summary>A baseline run's answers by item id (completed queries only).</summary>
    private static Dictionary<string, string> BaselineAnswers(string run)
    {
        var data = Path.Combine(run, RunFolder.DataFileName);
        if (!File.Exists(data)) throw new UserError($"--judge-baseline: '{run}' is not a run folder (no {RunFolder.DataFileName})");
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        using var input = new FileStream(data, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var reader = new ArrowStreamReader(input);
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            using (batch)
            {
                for (var i = 0; i < batch.Length; i++)
                    if (Str(batch, "status", i) == "ok" && Str(batch, "item_id", i) is { } id && Str(batch, "response", i) is { } response)
                        answers.TryAdd(id, response);
            }
        }
        return answers;
    }

    /// <summary>The batch with its grading columns replaced.</summary>
    private static RecordBatch Replace(RecordBatch batch, List<QueryRecord> records)
    {
        var layout = RecordSchema.Layout;
        var arrays = new IArrowArray[layout.Columns.Count];
        for (var c = 0; c < arrays.Length; c++)
        {
            var name = layout.Columns[c].Name;
            // The rows' own graders stay: an override is a view (named in each explanation), and scoring again without
            // it goes back to them.
            var replace = name is "correct" or "score" or "grade_explanation";
            arrays[c] = replace ? layout.Columns[c].Build(records) : batch.Column(c);
        }
        return new RecordBatch(layout.Schema, arrays, batch.Length);
    }
}
