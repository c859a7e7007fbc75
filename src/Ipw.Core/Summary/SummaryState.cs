using System.Text.Json;
using Ipw.Core.Energy;

namespace Ipw.Core.Summary;

/// <summary>What the run has learned so far, beyond its facts: the totals of written records, the idle baselines, the
/// load report, a failure, what the client reported after the run. <see cref="RunSummaryBuilder"/> renders it.</summary>
internal sealed class SummaryState(Profiling.ServiceLevel? slo = null)
{
    public RunTotals Totals { get; } = new(slo);
    public IdleMeasurement? IdleBefore
    {
        get => Idle.Before;
        set => Idle = Idle with { Before = value };
    }

    public IdleMeasurement? IdleAfter
    {
        get => Idle.After;
        set => Idle = Idle with { After = value };
    }
    /// <summary>From the first send to the last completion, s.</summary>
    public double? MeasuredSpanS { get; set; }
    public LoadSection? Load { get; set; }
    public string? Failure { get; set; }
    /// <summary>What the client reported after the run.</summary>
    public Dictionary<string, JsonElement> ClientReport { get; set; } = [];

    /// <summary>What each record's final active energy needs, noted as records are written; closed when the run ends.</summary>
    public ActiveEnergyFinaliser ActiveEnergy { get; } = new();

    /// <summary>The idle baselines measured so far (set once each, read for every record).</summary>
    public IdleSummary Idle { get; private set; } = new(null, null);
}
