using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Summary;

namespace Ipw.Core.Scoring;

/// <summary>What rescoring a run found.</summary>
public sealed record ScoreOutcome(string RunPath, int Rows, int Graded, int Correct, Summary.IntelligenceSection Intelligence);

/// <summary>
/// Scores or rescores a finished run: every row's answer is graded again (with its own grader, or one given for all
/// rows that have a reference), the data file is rewritten with the new grading columns (atomically: a crash leaves
/// the old file), and summary.json gets the new intelligence section. Batches are streamed, so run length does not matter.
/// </summary>
public static class RunScorer
{
    /// <summary>Rescores a run; rows graded by <c>judge</c> (their own grader, or <paramref name="grader"/>) go to
    /// <paramref name="judge"/>, one at a time, and the others to <paramref name="graders"/>.</summary>
    /// <param name="graders">The offline graders (from the loaded plugins' registries).</param>
    /// <param name="grader">A grader for every row that has a reference, instead of each row's own; null for their own.</param>
    public static async Task<ScoreOutcome> RescoreAsync(string runPath, GraderSet graders, string? grader, Judge? judge,
        CancellationToken cancellationToken, string? baselineRun = null)
    {
        if (grader is not null && graders.Problem(grader) is { } problem) throw new UserError($"--grader: {problem}");
        var data = Path.Combine(runPath, RunStore.DataFileName);
        var summaryPath = Path.Combine(runPath, RunStore.SummaryFileName);
        if (!File.Exists(data) || !File.Exists(summaryPath))
            throw new UserError($"'{runPath}' is not a run folder (it needs {RunStore.DataFileName} and {RunStore.SummaryFileName})");
        var summary = SummaryFile.Read(summaryPath);
        RunState.RequireEnded(runPath, summary);
        RequireText("", runPath, summary, "its records hold no responses to grade again (the grades made while it ran are kept)");

        var baseline = baselineRun is null ? null : BaselineAnswers(baselineRun);
        var tally = new IntelligenceTally();
        int rows = 0, graded = 0, correct = 0;
        await AtomicFile.WriteAsync(data, async temp =>
        {
            using var input = new FileStream(data, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var reader = new ArrowStreamReader(input);
            using var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            // The file's own schema: a run made by an ipw with other columns keeps them.
            using var writer = new ArrowStreamWriter(output, reader.Schema);
            writer.WriteStart();
            foreach (var batch in RecordReader.Batches(reader, data))
            {
                using (batch)
                {
                    if (!HasGradeColumns(batch.Schema))
                        throw new UserError($"{data}: it lacks the grading columns ({string.Join(", ", GradeColumns.Select(g => g.Name))}); it cannot be rescored in place");
                    var records = await RegradeAsync(batch, graders, grader, judge, baseline, cancellationToken).ConfigureAwait(false);
                    foreach (var r in records)
                    {
                        rows++;
                        tally.Add(r);
                        if (r.Correct is { } ok) { graded++; if (ok) correct++; }
                    }
                    // The new batch shares the untouched columns with the one read: disposing the read batch frees them.
                    // The rows' own graders stay: an override is a view (named in each explanation), and scoring again without
                    // it goes back to them.
                    writer.WriteRecordBatch(RecordSchema.ReplaceColumns(batch, records, GradeColumns));
                }
            }
            writer.WriteEnd();
        }).ConfigureAwait(false);

        var intelligence = tally.ToSection(summary.Energy is { Available: false } e ? e.Reason : null) with
        {
            ScoredAt = DateTimeOffset.UtcNow.ToString("O"),
            GraderOverride = grader,
            Judge = judge?.Describe(baselineRun),
        };
        RunStore.WriteSummary(runPath, summary with { Intelligence = intelligence });
        return new ScoreOutcome(runPath, rows, graded, correct, intelligence);
    }

    private static bool HasGradeColumns(Schema schema) =>
        GradeColumns.All(g => schema.FieldsList.Any(f => f.Name == g.Name && f.DataType.TypeId == RecordSchema.Layout.Columns[g.Ordinal].Type.TypeId));

    private static string? Str(RecordBatch b, RecordColumn column, int i) => ((StringArray)b.Column(column.Name)).GetString(i);

    private static double? Dbl(RecordBatch b, RecordColumn column, int i) => ((DoubleArray)b.Column(column.Name)).GetValue(i);

    /// <summary>The rows' new grades, as records holding what grading and the tally need.</summary>
    private static async Task<List<QueryRecord>> RegradeAsync(RecordBatch batch, GraderSet graders, string? graderOverride, Judge? judge,
        Dictionary<string, string>? baseline, CancellationToken cancellationToken)
    {
        var list = new List<QueryRecord>(batch.Length);
        for (var i = 0; i < batch.Length; i++)
        {
            var reference = Str(batch, RecordColumns.Reference, i);
            var status = Str(batch, RecordColumns.Status, i) ?? "ok";
            var response = Str(batch, RecordColumns.Response, i) ?? "";
            var own = Str(batch, RecordColumns.Grader, i);
            // An override applies to rows with a reference; a pairwise judge against a baseline run needs none.
            var overrides = graderOverride is not null && (reference is not null || (graderOverride == GraderSet.JudgeName && baseline is not null));
            var grader = overrides ? graderOverride : own;
            Verdict verdict;
            if (grader == GraderSet.JudgeName && judge is not null && status == "ok")
            {
                var id = Str(batch, RecordColumns.ItemId, i) ?? "";
                var (grade, reason) = await judge.GradeAsync(id, Str(batch, RecordColumns.Prompt, i) ?? "", reference, response,
                    baseline?.GetValueOrDefault(id), cancellationToken).ConfigureAwait(false);
                verdict = grade is null ? new Verdict(null, null, reason) : new Verdict(grade.Correct, grade.Score, grade.Explanation);
            }
            else
            {
                verdict = graders.Grade(grader, reference, response, status);
            }
            var record = QueryRecord.Of(
                RecordColumns.Subject.With(Str(batch, RecordColumns.Subject, i)),
                RecordColumns.Status.With(status),
                RecordColumns.EnergyJ.With(Dbl(batch, RecordColumns.EnergyJ, i)),
                RecordColumns.AvgPowerW.With(Dbl(batch, RecordColumns.AvgPowerW, i)),
                RecordColumns.Correct.With(verdict.Correct),
                RecordColumns.Score.With(verdict.Score),
                RecordColumns.GradeExplanation.With(verdict.Explanation));
            list.Add(record);
        }
        return list;
    }

    /// <summary>Refuses a run whose records hold no text (<c>--keep-text false</c>); <paramref name="why"/> says what the
    /// text was wanted for.</summary>
    private static void RequireText(string prefix, string run, RunSummary summary, string why)
    {
        if (summary.Config?.KeepText == false) throw new UserError($"{prefix}'{run}' was profiled with --keep-text false: {why}");
    }

    /// <summary>A baseline run's answers by item id (completed queries only).</summary>
    private static Dictionary<string, string> BaselineAnswers(string run)
    {
        var data = Path.Combine(run, RunStore.DataFileName);
        if (!File.Exists(data)) throw new UserError($"--judge-baseline: '{run}' is not a run folder (no {RunStore.DataFileName})");
        var summaryPath = Path.Combine(run, RunStore.SummaryFileName);
        if (File.Exists(summaryPath)) RequireText("--judge-baseline: ", run, SummaryFile.Read(summaryPath), "it holds no answers to compare with");
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        using var input = new FileStream(data, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var reader = new ArrowStreamReader(input);
        foreach (var batch in RecordReader.Batches(reader, data))
        {
            using (batch)
            {
                for (var i = 0; i < batch.Length; i++)
                    if (Str(batch, RecordColumns.Status, i) == "ok" && Str(batch, RecordColumns.ItemId, i) is { } id && Str(batch, RecordColumns.Response, i) is { } response)
                        answers.TryAdd(id, response);
            }
        }
        return answers;
    }

    private static readonly RecordColumn[] GradeColumns = RecordColumns.All.Where(c => c.Stage == RecordStage.Grade).ToArray();
}
