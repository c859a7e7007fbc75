namespace Ipw.Core.Summary;

/// <summary>
/// A resumed run's energy section: this part's counters added to the earlier parts' as their summary last gave them, so
/// the run-long figures (gross, attributed, active energy, the measured span, average power, per-token energy) cover every
/// part and none of the time between parts. The idle baselines and the fit are this part's (each part measures its own);
/// the per-query figures already cover every record. Where an earlier part has no energy the run's totals cannot be
/// whole: they are left missing, with the reason, and this part's counters are kept.
/// </summary>
internal static class ResumedEnergy
{
    /// <param name="prior">The earlier parts: their energy section and their measured span (from their records, which a
    /// run killed before it wrote its last summary still has).</param>
    public static EnergySection Combine(EnergySection now, ResumedFrom? prior, long outputTokens)
    {
        var before = prior?.Energy;
        if (before is null || now.GrossJ is null) return now;
        if (before.GrossJ is null)
            return now with
            {
                Reason = "resumed: an earlier part of the run has no energy, so the run's totals are not whole (the counters are this part's)",
                GrossJ = null,
                ActiveJ = null,
                AvgPowerW = null,
                MeasuredSpanS = null,
                OutputTokensPerJ = null,
                JPerOutputToken = null,
                ActiveJPerOutputToken = null,
                OutputTokensPerActiveJ = null,
            };
        var gross = now.GrossJ.Value + before.GrossJ.Value;
        var span = Add(now.MeasuredSpanS, prior!.MeasuredSpanS);
        var active = Add(now.ActiveJ, before.ActiveJ);
        var attributed = Add(now.AttributedJ, before.AttributedJ);
        var unattributed = Add(now.UnattributedJ, before.UnattributedJ);
        var counters = Counters(now.ByCounter, before.ByCounter, span);
        return now with
        {
            GrossJ = gross,
            ByCounter = counters,
            ByNode = Nodes(now.ByNode, before.ByNode, span),
            AttributedJ = attributed,
            UnattributedJ = unattributed,
            UnattributedS = Add(now.UnattributedS, before.UnattributedS),
            ConservationErrorJ = attributed is { } a && unattributed is { } u ? gross - (a + u) : null,
            MeasuredSpanS = span,
            AvgPowerW = span is > 0 ? gross / span : null,
            ActiveJ = active,
            UnattributedActiveJ = Add(now.UnattributedActiveJ, before.UnattributedActiveJ),
            ActiveJUncertainty = Add(now.ActiveJUncertainty, before.ActiveJUncertainty),
            Finalised = now.Finalised == true && before.Finalised == true,
            OutputTokensPerJ = gross > 0 ? outputTokens / gross : null,
            JPerOutputToken = outputTokens > 0 ? gross / outputTokens : null,
            ActiveJPerOutputToken = active is { } act && outputTokens > 0 ? act / outputTokens : null,
            OutputTokensPerActiveJ = active is > 0 ? outputTokens / active : null,
        };
    }

    private static double? Add(double? a, double? b) => a is { } x && b is { } y ? x + y : null;

    /// <summary>Counter by counter (matched by source, device and metric); a counter only one part read keeps its own.</summary>
    private static List<CounterEnergy>? Counters(List<CounterEnergy>? now, List<CounterEnergy>? before, double? span)
    {
        if (now is null || before is null) return now;
        var merged = now.Select(c =>
        {
            var earlier = before.FirstOrDefault(b => b.Source == c.Source && b.Device == c.Device && b.Metric == c.Metric);
            if (earlier is null) return c;
            var joules = c.J + earlier.J;
            return c with { J = joules, AvgPowerW = span is > 0 ? joules / span : null, ActiveJ = Add(c.ActiveJ, earlier.ActiveJ) };
        }).ToList();
        merged.AddRange(before.Where(b => !now.Any(c => c.Source == b.Source && c.Device == b.Device && c.Metric == b.Metric)));
        return merged;
    }

    private static Dictionary<string, NodeEnergy>? Nodes(Dictionary<string, NodeEnergy>? now, Dictionary<string, NodeEnergy>? before, double? span)
    {
        if (now is null || before is null) return now;
        var merged = new Dictionary<string, NodeEnergy>(before);
        foreach (var (node, e) in now)
        {
            var joules = e.J + (merged.TryGetValue(node, out var earlier) ? earlier.J : 0);
            merged[node] = new NodeEnergy(joules, span is > 0 ? joules / span : null,
                [.. e.Devices.Concat(earlier?.Devices ?? []).Distinct(StringComparer.Ordinal)]);
        }
        return merged;
    }
}
