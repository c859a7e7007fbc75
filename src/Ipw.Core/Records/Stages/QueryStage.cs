using Ipw.Abstractions;

namespace Ipw.Core.Records.Stages;

/// <summary>What was asked and what came back; the texts only when the run keeps them (<paramref name="keepText"/>).</summary>
internal sealed class QueryStage(string dataset, string client, string model, bool keepText = true) : IRecordStage
{
    public RecordStage Stage => RecordStage.Query;

    public void Fill(MeasuredQuery q, RecordBuilder r)
    {
        var result = q.Result;
        r.Set(RecordColumns.QueryIndex, q.Index)
         .Set(RecordColumns.ItemId, q.Item.Id)
         .Set(RecordColumns.ConversationId, q.ConversationId)
         .Set(RecordColumns.Turn, q.Turn)
         .Set(RecordColumns.ConversationTurns, q.ConversationTurns)
         .Set(RecordColumns.Dataset, dataset)
         .Set(RecordColumns.Subject, q.Item.Subject)
         .Set(RecordColumns.Client, client)
         .Set(RecordColumns.Model, model)
         .Set(RecordColumns.Prompt, keepText ? q.Item.Prompt : null)
         .Set(RecordColumns.Reference, q.Item.Reference)
         .Set(RecordColumns.Grader, q.Item.Grader)
         .Set(RecordColumns.Response, keepText ? result.Text : null)
         .Set(RecordColumns.Reasoning, keepText ? result.Reasoning : null)
         .Set(RecordColumns.Status, ClientError.StatusOf(result.Error))
         .Set(RecordColumns.Error, result.Error?.Message)
         .Set(RecordColumns.Attempts, result.Attempts)
         .Set(RecordColumns.RetryWaitS, result.RetryWaitS)
         .Set(RecordColumns.Reconnected, result.Reconnected)
         .Set(RecordColumns.FinishReason, result.FinishReason);
        if (q.Steps is { } steps)
        {
            r.Set(RecordColumns.ModelSteps, steps.Count(s => s.Kind == "model"))
             .Set(RecordColumns.ToolSteps, steps.Count(s => s.Kind != "model"))
             .Set(RecordColumns.ToolTimeS, steps.Where(s => s.Kind != "model").Sum(s => s.DurationS))
             .Set(RecordColumns.StepKinds, string.Join(",", steps.Select(s => s.Kind)))
             .Set(RecordColumns.StepDurationsS, steps.Select(s => s.DurationS).ToArray())
             .Set(RecordColumns.StepOutputTokens, steps.All(s => s.OutputTokens is not null) ? steps.Select(s => (double)s.OutputTokens!.Value).ToArray() : null);
            var (shares, source) = Load.AgentStep.Shares(steps);
            r.Set(RecordColumns.StepEnergyShare, shares).Set(RecordColumns.StepShareSource, source);
        }
    }
}
