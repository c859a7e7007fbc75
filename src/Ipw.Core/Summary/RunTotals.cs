using Ipw.Abstractions;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>Accumulates the run's totals from each written record: counts, tokens, latency and energy statistics, the
/// intelligence tally. Renders nothing itself: <see cref="RunSummaryBuilder"/> reads it.</summary>
/// <param name="slo">The service-level objectives goodput is measured against (null: none).</param>
internal sealed class RunTotals(Profiling.ServiceLevel? slo = null)
{
    private readonly Distribution<double> _queryEnergy = new(), _queryActiveEnergy = new();
    private readonly Distribution<double> _e2e = new(), _ttft = new();
    private readonly Dictionary<string, int> _energyFlags = [];
    private readonly SortedDictionary<string, int> _errorsByClass = new(StringComparer.Ordinal);
    private long _inputTokens, _missingInputTokens, _missingOutputTokens;
    private double _latencySum, _energySum, _cpuSum, _ttftSum, _decodeRateSum, _activeSum;
    private int _energyMissing, _ttftCount, _decodeRateCount, _activeCount, _retried, _reconnected;
    private readonly ServerTimingsTally _serverTimings = new();
    private ConversationTally _conversations = new();
    private AgentTally _agent = new();
    private CostTally _cost = new();
    /// <summary>The energies of records kept from before a resumption: final as they are, so kept through
    /// <see cref="FinaliseEnergy"/>.</summary>
    private readonly List<double> _priorShares = [], _priorActive = [];

    public int Queries { get; private set; }
    public int Errors { get; private set; }
    public long OutputTokens { get; private set; }
    public Scoring.IntelligenceTally Intelligence { get; private set; } = new();

    /// <summary>The successful queries' figures as vLLM's bench serve reports them.</summary>
    public ServingTally Serving { get; } = new(slo);

    public void Add(QueryRecord r)
    {
        Queries++;
        if (r.Status != "ok")
        {
            Errors++;
            _errorsByClass[r.Status] = _errorsByClass.GetValueOrDefault(r.Status) + 1;
        }
        if (r.InputTokens is { } i) _inputTokens += i; else _missingInputTokens++;
        if (r.OutputTokens is { } o) OutputTokens += o; else _missingOutputTokens++;
        _latencySum += r.E2eLatencyS;
        if (r.TtftS is { } ttft) { _ttftSum += ttft; _ttftCount++; _ttft.Add(ttft); }
        if (r.DecodeTokensPerS is { } rate) { _decodeRateSum += rate; _decodeRateCount++; }
        if (r.EnergyJ is { } e) { _energySum += e; _queryEnergy.Add(e); } else _energyMissing++;
        if (r.ActiveEnergyJ is { } a) { _activeSum += a; _activeCount++; _queryActiveEnergy.Add(a); }
        _e2e.Add(r.E2eLatencyS);
        if (r.Get(RecordColumns.Attempts) > 1) _retried++;
        if (r.Get(RecordColumns.Reconnected) == true) _reconnected++;
        _serverTimings.Add(r);
        _conversations.Add(r);
        _agent.Add(r);
        _cost.Add(r);
        Serving.Add(r);
        Intelligence.Add(r);
        _cpuSum += r.ProcessCpuS ?? 0;
    }

    /// <summary>Adds a record kept from before a resumption (its energy stays as it was written).</summary>
    public void AddPrior(QueryRecord r)
    {
        Add(r);
        if (r.EnergyJ is { } e) _priorShares.Add(e);
        if (r.ActiveEnergyJ is { } a) _priorActive.Add(a);
    }

    public void AddEnergyFlags(IReadOnlyList<string> flags)
    {
        foreach (var f in flags) _energyFlags[f] = _energyFlags.GetValueOrDefault(f) + 1;
    }

    /// <summary>Replaces the live energies with the final ones (<see cref="Energy.ActiveEnergyFinaliser"/>) and counts the
    /// baseline's flags once per record that has an active energy.</summary>
    public void FinaliseEnergy(Energy.FinalEnergy final, IReadOnlyList<string> baselineFlags)
    {
        _queryEnergy.Clear();
        _energySum = 0;
        foreach (var e in _priorShares.Concat(final.Shares)) { _energySum += e; _queryEnergy.Add(e); }
        _queryActiveEnergy.Clear();
        _activeSum = 0;
        foreach (var a in _priorActive.Concat(final.Active)) { _activeSum += a; _queryActiveEnergy.Add(a); }
        _activeCount = _priorActive.Count + final.Active.Count;
        foreach (var f in baselineFlags) _energyFlags[f] = _energyFlags.GetValueOrDefault(f) + final.Active.Count;
    }

    /// <summary>The columns the tallies that weigh each record's energy read (<see cref="RereadFinalRecords"/>).</summary>
    private static readonly RecordColumn[] EnergyWeighedColumns =
    [
        RecordColumns.Subject, RecordColumns.Correct, RecordColumns.EnergyJ, RecordColumns.AvgPowerW, RecordColumns.Status,
        RecordColumns.ConversationId, RecordColumns.Turn, RecordColumns.ConversationTurns, RecordColumns.SentAtS, RecordColumns.CompletedAtS,
        RecordColumns.InputTokens, RecordColumns.OutputTokens, RecordColumns.TtftS, RecordColumns.E2eLatencyS,
        RecordColumns.ModelSteps, RecordColumns.ToolSteps, RecordColumns.ToolTimeS, RecordColumns.StepDurationsS, RecordColumns.StepEnergyShare,
        RecordColumns.StepKinds, RecordColumns.CostUsd, RecordColumns.Co2eG, RecordColumns.FlopsPrefill, RecordColumns.FlopsDecode,
    ];

    /// <summary>Rebuilds the tallies that weigh each record's energy (intelligence, conversations, agent tasks, cost) from the
    /// records as finalised in <paramref name="dataPath"/>: the fitted attribution gives every record its final share
    /// only when the run closes, after the live records were tallied.</summary>
    public void RereadFinalRecords(string dataPath)
    {
        Intelligence = new Scoring.IntelligenceTally();
        _conversations = new ConversationTally();
        _agent = new AgentTally();
        _cost = new CostTally();
        foreach (var r in Runs.RecordReader.Read(dataPath, EnergyWeighedColumns))
        {
            Intelligence.Add(r);
            _conversations.Add(r);
            _agent.Add(r);
            _cost.Add(r);
        }
    }

    public CountsSection Counts(long recordsOnDisk) => new(Queries, recordsOnDisk, Queries - Errors, Errors, new(_errorsByClass))
    {
        Retried = _retried,
        Reconnected = _reconnected,
    };

    public TotalsSection Totals(Costs.Pricing? pricing = null, Ipw.Abstractions.Models.ModelShape? shape = null, double? runSpanS = null) => new()
    {
        InputTokens = _inputTokens,
        OutputTokens = OutputTokens,
        QueriesMissingInputTokens = _missingInputTokens,
        QueriesMissingOutputTokens = _missingOutputTokens,
        SumE2eLatencyS = _latencySum,
        ProcessCpuS = _cpuSum,
        OutputTokensPerS = _latencySum > 0 ? OutputTokens / _latencySum : null,
        MeanE2eLatencyS = Queries > 0 ? _latencySum / Queries : null,
        MeanTtftS = _ttftCount > 0 ? _ttftSum / _ttftCount : null,
        MeanDecodeTokensPerS = _decodeRateCount > 0 ? _decodeRateSum / _decodeRateCount : null,
        E2eLatencyS = _e2e.ToSummary(),
        TtftS = _ttft.ToSummary(),
        ServerTimings = _serverTimings.ToSection(),
        Conversations = _conversations.ToSection(),
        Agent = _agent.ToSection(),
        Cost = _cost.ToSection(pricing),
        Flops = _cost.ToFlops(shape, _energyMissing == 0 && Queries > 0 ? _energySum : null, runSpanS),
    };

    /// <summary>Per-query energy statistics: the queries missing energy, the sum when none is, the active sum.</summary>
    public (int Missing, double? TotalJ, double? ActiveSum, DistributionSummary? PerQuery, DistributionSummary? PerQueryActive) Energy() =>
        (_energyMissing, _energyMissing == 0 ? _energySum : null, _activeCount > 0 ? _activeSum : null, _queryEnergy.ToSummary(), _queryActiveEnergy.ToSummary());

    public Dictionary<string, int> EnergyFlags() => new(_energyFlags.OrderBy(p => p.Key, StringComparer.Ordinal));
}
