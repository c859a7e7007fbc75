using Ipw.Abstractions;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>Tallies the records of replayed conversations (<c>turns=all</c>) by turn and by conversation; records of single
/// queries are not counted.</summary>
internal sealed class ConversationTally
{
    private sealed class TurnTally
    {
        public readonly Distribution<double> Ttft = new(), E2e = new();
        public int Queries, Ok, InputCount;
        public long InputSum;
    }

    private readonly SortedDictionary<int, TurnTally> _turns = [];
    private readonly HashSet<string> _conversations = new(StringComparer.Ordinal);
    private int _queries;

    public void Add(QueryRecord r)
    {
        if (r.Get(RecordColumns.Turn) is not { } turn || r.Get(RecordColumns.ConversationId) is not { } conversation) return;
        _queries++;
        _conversations.Add(conversation);
        if (!_turns.TryGetValue((int)turn, out var t)) _turns[(int)turn] = t = new TurnTally();
        t.Queries++;
        if (r.Status != "ok") return;
        t.Ok++;
        if (r.TtftS is { } ttft) t.Ttft.Add(ttft);
        t.E2e.Add(r.E2eLatencyS);
        if (r.InputTokens is { } input)
        {
            t.InputSum += input;
            t.InputCount++;
        }
    }

    public ConversationsSection? ToSection() =>
        _conversations.Count == 0 ? null : new ConversationsSection(_conversations.Count, _queries, (double)_queries / _conversations.Count,
            _turns.Select(p => new TurnSection(p.Key, p.Value.Queries, p.Value.Ok,
                p.Value.InputCount > 0 ? (double)p.Value.InputSum / p.Value.InputCount : null, p.Value.Ttft.ToSummary(), p.Value.E2e.ToSummary())).ToList());
}
