using Ipw.Abstractions;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>The server's own timings (llama.cpp's <c>timings.prompt_ms</c> and <c>predicted_ms</c>, Ollama's
/// <c>prompt_eval_duration</c> and <c>eval_duration</c>) set beside the client's TTFT and decode time over the same
/// successful queries, and what lies between them: HTTP, queueing, templating, the client itself.</summary>
internal sealed class ServerTimingsTally
{
    private readonly Distribution<double> _ttftGap = new(), _decodeGap = new();
    private double _promptEval, _eval, _ttft, _decode;
    private long _queries;

    public void Add(QueryRecord r)
    {
        if (r.Status != "ok" || r.TtftS is not { } ttft || r.Get(RecordColumns.ServerPromptEvalS) is not { } prompt
            || r.Get(RecordColumns.ServerEvalS) is not { } eval || double.IsNaN(r.E2eLatencyS)) return;
        var decode = r.E2eLatencyS - ttft;
        _queries++;
        _promptEval += prompt;
        _eval += eval;
        _ttft += ttft;
        _decode += decode;
        _ttftGap.Add(ttft - prompt);
        _decodeGap.Add(decode - eval);
    }

    /// <summary>Null when no query carried the server's timings.</summary>
    public ServerTimingsSection? ToSection() => _queries == 0 ? null : new ServerTimingsSection(_queries, _promptEval, _ttft,
        _eval, _decode, _ttftGap.ToSummary(), _decodeGap.ToSummary());
}

/// <summary>summary.json's <c>totals.server_timings</c>: sums over the <paramref name="Queries"/> successful queries that
/// carried the server's timings, the server's beside the client's, and per query the client's time less the server's
/// (<paramref name="TtftLessPromptEvalS"/>: TTFT − prompt evaluation; <paramref name="DecodeLessEvalS"/>: end-to-end −
/// TTFT − generation).</summary>
public sealed record ServerTimingsSection(long Queries, double ServerPromptEvalS, double ClientTtftS, double ServerEvalS, double ClientDecodeS,
    DistributionSummary? TtftLessPromptEvalS, DistributionSummary? DecodeLessEvalS);
