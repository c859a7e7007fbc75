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
    /// <summary>From the first send to the last completion, s (of this part of a resumed run).</summary>
    public double? MeasuredSpanS { get; set; }

    /// <summary>What came before a resumption: the earlier parts' measured span, energy and resumptions (null: none).</summary>
    public ResumedFrom? Prior { get; set; }

    /// <summary>The whole run's measured span: this part's, plus the earlier parts' when resumed (the gaps between them
    /// excluded).</summary>
    public double? RunSpanS => (MeasuredSpanS, Prior?.MeasuredSpanS) switch
    {
        (null, null) => null,
        var (now, before) => (now ?? 0) + (before ?? 0),
    };
    public LoadSection? Load { get; set; }
    /// <summary>The server the run started (<c>--launch</c>), as far as it is known.</summary>
    public LaunchSection? Launch { get; set; }
    public string? Failure { get; set; }
    /// <summary>What the client reported after the run.</summary>
    public Dictionary<string, JsonElement> ClientReport { get; set; } = [];

    /// <summary>What each record's final active energy needs, noted as records are written; closed when the run ends.</summary>
    public ActiveEnergyFinaliser ActiveEnergy { get; } = new();

    /// <summary>The model's shape the records' FLOPs were counted with; null when none was found.</summary>
    public Ipw.Abstractions.Models.ModelShape? ModelShape { get; set; }

    /// <summary>The idle baselines measured so far (set once each, read for every record).</summary>
    public IdleSummary Idle { get; private set; } = new(null, null);
}

/// <summary>A resumed run's earlier parts, as their summary gave them: their measured span, their energy section, and the
/// resumptions so far (this one last).</summary>
internal sealed record ResumedFrom(double? MeasuredSpanS, EnergySection? Energy, List<ResumeSection> Resumes);
