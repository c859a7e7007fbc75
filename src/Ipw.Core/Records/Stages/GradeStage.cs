using Ipw.Abstractions;
using Ipw.Core.Scoring;

namespace Ipw.Core.Records.Stages;

/// <summary>Grades the answer with the item's grader (<see cref="GraderSet.Grade"/>).</summary>
internal sealed class GradeStage(GraderSet graders) : IRecordStage
{
    public RecordStage Stage => RecordStage.Grade;

    public void Fill(MeasuredQuery q, RecordBuilder r) =>
        Write(r, graders.Grade(q.Item.Grader, q.Item.Reference, q.Result.Text, ClientError.StatusOf(q.Result.Error)));

    /// <summary>Writes a verdict into the grading columns (also used by <c>ipw score</c>).</summary>
    public static void Write(RecordBuilder r, Verdict v) =>
        r.Set(RecordColumns.Correct, v.Correct).Set(RecordColumns.Score, v.Score).Set(RecordColumns.GradeExplanation, v.Explanation);
}
