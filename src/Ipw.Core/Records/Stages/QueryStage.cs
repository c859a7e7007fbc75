using Ipw.Abstractions;

namespace Ipw.Core.Records.Stages;

/// <summary>What was asked and what came back.</summary>
internal sealed class QueryStage(string dataset, string client, string model) : IRecordStage
{
    public RecordStage Stage => RecordStage.Query;

    public void Fill(MeasuredQuery q, RecordBuilder r)
    {
        var result = q.Result;
        r.Set(RecordColumns.QueryIndex, q.Index)
         .Set(RecordColumns.ItemId, q.Item.Id)
         .Set(RecordColumns.Dataset, dataset)
         .Set(RecordColumns.Subject, q.Item.Subject)
         .Set(RecordColumns.Client, client)
         .Set(RecordColumns.Model, model)
         .Set(RecordColumns.Prompt, q.Item.Prompt)
         .Set(RecordColumns.Reference, q.Item.Reference)
         .Set(RecordColumns.Grader, q.Item.Grader)
         .Set(RecordColumns.Response, result.Text)
         .Set(RecordColumns.Reasoning, result.Reasoning)
         .Set(RecordColumns.Status, ClientError.StatusOf(result.Error))
         .Set(RecordColumns.Error, result.Error?.Message)
         .Set(RecordColumns.Attempts, result.Attempts)
         .Set(RecordColumns.RetryWaitS, result.RetryWaitS)
         .Set(RecordColumns.FinishReason, result.FinishReason);
    }
}
