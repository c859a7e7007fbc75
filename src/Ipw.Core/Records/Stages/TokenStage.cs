using Ipw.Abstractions;

namespace Ipw.Core.Records.Stages;

/// <summary>Token counts as the client reported them, and where they came from.</summary>
internal sealed class TokenStage : IRecordStage
{
    public RecordStage Stage => RecordStage.Tokens;

    public void Fill(MeasuredQuery q, RecordBuilder r)
    {
        var usage = q.Result.Usage;
        r.Set(RecordColumns.InputTokens, usage?.InputTokens)
         .Set(RecordColumns.OutputTokens, usage?.OutputTokens)
         .Set(RecordColumns.CachedInputTokens, usage?.CachedInputTokens)
         .Set(RecordColumns.ReasoningTokens, usage?.ReasoningTokens)
         .Set(RecordColumns.ToolCalls, q.Result.ToolCalls)
         .Set(RecordColumns.TokenCountSource, usage?.Source);
    }
}
