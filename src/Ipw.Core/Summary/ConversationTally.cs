using Ipw.Abstractions;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>Tallies the records of replayed conversations (<c>turns=all</c>) by turn and by conversation (each taken
/// whole as <see cref="ConversationTotal"/> defines it); records of single queries are not counted.</summary>
internal sealed class ConversationTally
{
    private sealed class TurnTally
    {
        public readonly Distribution<double> Ttft = new(), E2e = new(), Energy = new();
        public int Queries, Ok, InputCount;
        public long InputSum;
    }

    private readonly SortedDictionary<int, TurnTally> _turns = [];
    private readonly Dictionary<string, ConversationTotal> _conversations = new(StringComparer.Ordinal);
    private int _queries;

    public void Add(QueryRecord r)
    {
        if (r.Get(RecordColumns.Turn) is not { } turn || r.Get(RecordColumns.ConversationId) is not { } conversation) return;
        _queries++;
        if (!_conversations.TryGetValue(conversation, out var whole)) _conversations[conversation] = whole = new ConversationTotal();
        whole.Add((int?)r.Get(RecordColumns.ConversationTurns), r.Status == "ok", r.EnergyJ, r.Get(RecordColumns.SentAtS), r.CompletedAtS,
            r.OutputTokens, r.Correct);
        if (!_turns.TryGetValue((int)turn, out var t)) _turns[(int)turn] = t = new TurnTally();
        t.Queries++;
        if (r.Status != "ok") return;
        t.Ok++;
        if (r.TtftS is { } ttft) t.Ttft.Add(ttft);
        t.E2e.Add(r.E2eLatencyS);
        if (r.EnergyJ is { } e) t.Energy.Add(e);
        if (r.InputTokens is { } input)
        {
            t.InputSum += input;
            t.InputCount++;
        }
    }

    public ConversationsSection? ToSection()
    {
        if (_conversations.Count == 0) return null;
        var complete = _conversations.Values.Where(c => c.Complete).ToList();
        Distribution<double> energy = new(), duration = new();
        int graded = 0, right = 0, withEnergy = 0;
        var energySum = 0.0;
        foreach (var c in complete)
        {
            if (c.EnergyJ is { } e) energy.Add(e);
            if (c.DurationS is { } d) duration.Add(d);
            if (c.Correct is not { } correct) continue;
            graded++;
            if (correct) right++;
            if (c.EnergyJ is { } ge) { energySum += ge; withEnergy++; }
        }
        var intelligence = Statistics.Intelligence(graded, right, energySum, withEnergy, 0, 0);
        return new ConversationsSection(_conversations.Count, _queries, (double)_queries / _conversations.Count,
            _turns.Select(p => new TurnSection(p.Key, p.Value.Queries, p.Value.Ok,
                p.Value.InputCount > 0 ? (double)p.Value.InputSum / p.Value.InputCount : null, p.Value.Ttft.ToSummary(), p.Value.E2e.ToSummary(),
                p.Value.Energy.Count == p.Value.Ok ? p.Value.Energy.ToSummary() : null)).ToList())
        {
            Complete = complete.Count,
            EnergyJ = energy.Count > 0 && energy.Count == complete.Count ? energy.ToSummary() : null,
            DurationS = duration.ToSummary(),
            Accuracy = intelligence.Accuracy,
            IntelligencePerJoule = intelligence.PerJoule,
        };
    }
}
