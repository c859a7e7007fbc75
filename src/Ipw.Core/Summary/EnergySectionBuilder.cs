using System.Globalization;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Summary;

/// <summary>The energy section: the method in words, gross, attributed and unattributed energy, per counter and per node,
/// idle power before and after, active energy (<see cref="ActiveEnergy"/>, as every record's), per-token figures.</summary>
internal sealed class EnergySectionBuilder(Energy.AttributionMethod method, double prefillWeight, bool baselineEnabled, TelemetryMap map,
    IReadOnlyList<SessionMetric> metrics)
{
    private const string OverlapMethod =
        "Energy comes from cumulative counters, each reading placed at the counter's estimated update time and interpolated "
        + "linearly between updates. Time is cut at every query start, first token and end; each piece's energy goes to the "
        + "queries active in it in equal shares (time overlap), or to 'unattributed' when none is. A query alone owns its "
        + "window. Shares plus unattributed energy equal the counters' delta over the measured span. Per-query energy under "
        + "concurrency is an estimate.";

    private const string FittedMethod =
        "Energy comes from cumulative counters, each reading placed at the counter's estimated update time. When the run "
        + "closes, each counter's power is fitted as idle (from the baselines) + a per query in prefill + b per query "
        + "decoding, by least squares over the counter's intervals; each interval's measured energy is spread over its "
        + "pieces (cut at every query start, first token and end) by the model's power, and each piece's energy goes to "
        + "the queries in it by their phase's watts, or to 'unattributed' when none is. Every interval keeps the energy "
        + "its counter measured. While the run goes on, records carry time-overlap shares; summary.json's fit section "
        + "gives a and b per counter.";

    private string MethodText() => method switch
    {
        Energy.AttributionMethod.Phase => OverlapMethod.Replace("in equal shares (time overlap)", $"weighted by phase: a query before its first token (prefill) weighs {prefillWeight.ToString(CultureInfo.InvariantCulture)}, after it (decode) 1", StringComparison.Ordinal),
        Energy.AttributionMethod.Fitted => FittedMethod,
        _ => OverlapMethod,
    };

    public EnergySection Build(EnergyAttributor? energy, RunTotals totals, IdleSummary idle, ActiveEnergyFinaliser finaliser, double? span)
    {
        var (missing, totalJ, activeSum, perQuery, perQueryActive) = totals.Energy();
        var available = map.EnergyMissingReason is null;
        var section = new EnergySection
        {
            Available = available,
            Reason = map.EnergyMissingReason,
            Source = available ? map.EnergySource : null,
            Estimate = available ? true : null,
            Method = available ? MethodText() : null,
            Attribution = available ? method.ToString().ToLowerInvariant() : null,
            CounterUpdateS = energy?.CounterPeriod?.TotalSeconds,
            QueriesMissingEnergy = missing,
        };
        if (energy is null) return section;

        // Fitted at close: the fit's books (every counter interval kept whole, shaped by the model at the span's ends).
        var fitted = finaliser.Fitted;
        var gross = fitted?.GrossJ ?? energy.MeasuredJ;
        var unattributed = fitted?.UnattributedJ ?? energy.UnattributedJ;
        var attributed = fitted is null ? energy.AttributedJ : fitted.Queries.Sum(q => q.ShareJ);
        var outputTokens = totals.OutputTokens;
        // Above the idle power over the span the counters measured (as every record's: linear in time, so the span
        // times its value at the middle); that span ends short of the load's where the counters did not reach its end.
        var measured = (double)(energy.MeasuredTo - energy.MeasuringFrom) / System.Diagnostics.Stopwatch.Frequency;
        var mid = energy.MeasuringFrom + (energy.MeasuredTo - energy.MeasuringFrom) / 2;
        double? active = span is not null && measured > 0 ? ActiveEnergy.Of(gross, measured, idle.At(mid)) : null;
        // Counter by counter, and per node where devices are named node/device (a cluster read through Prometheus).
        var byCounter = energy.MeasuredJByCounter;
        var counters = map.EnergyMetrics.Select((m, k) => (Metric: metrics[m], Joules: byCounter[k])).ToList();
        return section with
        {
            TotalJ = totalJ,
            GrossJ = gross,
            ByCounter = counters.Select((c, k) => new CounterEnergy(c.Metric.Source, c.Metric.Info.Device, c.Metric.Info.Name, c.Joules, span is > 0 ? c.Joules / span : null)
            {
                IdleBeforeW = CounterIdle(idle.Before, k),
                IdleAfterW = CounterIdle(idle.After, k),
                ActiveJ = span is not null && measured > 0 ? ActiveEnergy.Of(c.Joules, measured, idle.At(mid, k)) : null,
            }).ToList(),
            ByNode = counters.Any(c => c.Metric.Info.Device.Contains('/', StringComparison.Ordinal))
                ? counters.GroupBy(c => c.Metric.Info.Device.Split('/')[0]).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key,
                    g => new NodeEnergy(g.Sum(c => c.Joules), span is > 0 ? g.Sum(c => c.Joules) / span : null, g.Select(c => c.Metric.Info.Device).Distinct().ToList()))
                : null,
            AttributedJ = attributed,
            UnattributedJ = unattributed,
            UnattributedS = energy.UnattributedSeconds,
            ConservationErrorJ = gross - (attributed + unattributed),
            MeasuredSpanS = span,
            AvgPowerW = span is > 0 ? gross / span : null,
            Idle = Idle(idle),
            ActiveJ = active,
            UnattributedActiveJ = fitted?.UnattributedActiveJ ?? ActiveEnergy.Of(energy.UnattributedJ, energy.UnattributedSeconds, idle.At(energy.UnattributedMidT)),
            Fit = fitted?.Counters.ToList(),
            ActiveJUncertainty = idle.LevelUncertaintyW is { } level && span is { } s2 ? level * s2 : null,
            Finalised = finaliser.Closed,
            PeriodUnknown = energy.PeriodUnknown ? true : null,
            PerQueryActiveJSum = activeSum,
            OutputTokensPerJ = gross > 0 ? outputTokens / gross : null,
            JPerOutputToken = outputTokens > 0 ? gross / outputTokens : null,
            ActiveJPerOutputToken = active is { } act && outputTokens > 0 ? act / outputTokens : null,
            OutputTokensPerActiveJ = active is > 0 ? outputTokens / active : null,
            PerQueryJ = perQuery,
            PerQueryActiveJ = perQueryActive,
            QualityFlags = totals.EnergyFlags(),
        };
    }

    private static double? CounterIdle(IdleMeasurement? m, int counter) => m is not null && counter < m.ByCounterW.Count ? m.ByCounterW[counter] : null;

    private IdleSection Idle(IdleSummary idle) => new()
    {
        Measured = baselineEnabled,
        Reason = baselineEnabled ? (idle.Before is null && idle.After is null ? "the baseline was interrupted or the counters did not cover it" : null) : "disabled (--baseline 0)",
        PowerW = idle.PowerW,
        PowerBasis = idle.Basis,
        MeanBeforeAfterW = idle.MeanW,
        SigmaW = idle.SigmaW,
        LevelUncertaintyW = idle.LevelUncertaintyW,
        Before = Window(idle.Before),
        After = Window(idle.After),
        DriftW = idle.DriftW,
        DriftUncertaintyW = idle.DriftUncertaintyW,
        Flags = idle.Flags.Count > 0 ? [.. idle.Flags] : null,
    };

    private static IdleWindow? Window(IdleMeasurement? m) => m is null ? null : new(m.MeanW, m.SigmaW, m.EnergyJ, m.DurationS, m.Bins)
    {
        StandardErrorW = m.StandardErrorW,
        CounterSteps = m.CounterSteps,
        Flags = m.Flags.Count > 0 ? [.. m.Flags] : null,
        ByCounterW = m.ByCounterW.Count > 0 ? [.. m.ByCounterW] : null,
    };
}
