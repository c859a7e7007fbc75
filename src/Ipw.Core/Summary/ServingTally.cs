using System.Text.Json;
using Ipw.Abstractions;
using Ipw.Core.Profiling;
using Ipw.Core.Records;

namespace Ipw.Core.Summary;

/// <summary>
/// The serving figures of a run as vLLM's <c>bench serve</c> defines them, over the successful queries: TTFT, TPOT (each
/// query's mean time per output token after the first, summarised over queries), inter-token latency (every gap of
/// every query pooled, so a long answer weighs by its tokens) and end-to-end latency, kept exactly, with the token
/// counts, and, under service-level objectives, how many queries met them (goodput). Fed each record once; read by the
/// summary (<see cref="ToSection"/>) and by the run monitor. Not thread-safe.
/// </summary>
/// <param name="slo">The objectives a good query meets (null: goodput is not measured).</param>
public sealed class ServingTally(ServiceLevel? slo = null)
{
    private long _inputTokens, _outputTokens;
    private int _missingInput, _missingOutput;

    public Distribution<double> TtftS { get; } = new();
    public Distribution<double> TpotS { get; } = new();
    /// <summary>Every inter-token gap of every successful query, s (4 bytes a token).</summary>
    public Distribution<float> ItlS { get; } = new();
    public Distribution<double> E2eS { get; } = new();

    public int Completed { get; private set; }
    public int Failed { get; private set; }

    /// <summary>Successful queries that met every objective (0 without objectives).</summary>
    public int Good { get; private set; }

    /// <summary>Input tokens of the successful queries; null when one of them has no count.</summary>
    public long? InputTokens => _missingInput == 0 ? _inputTokens : null;

    /// <summary>Output tokens of the successful queries; null when one of them has no count.</summary>
    public long? OutputTokens => _missingOutput == 0 ? _outputTokens : null;

    public void Add(QueryRecord r) =>
        Add(r.Status == "ok", r.InputTokens, r.OutputTokens, r.TtftS, r.TpotS, r.E2eLatencyS, r.TokenGapsS.Span);

    /// <param name="ok">Whether the query succeeded: a failed one is only counted.</param>
    /// <param name="tokenGapsS">Its inter-token gaps, s (see <see cref="TimelineMetrics.TokenGapsS"/>).</param>
    public void Add(bool ok, long? inputTokens, long? outputTokens, double? ttftS, double? tpotS, double e2eS, ReadOnlySpan<double> tokenGapsS)
    {
        if (!ok)
        {
            Failed++;
            return;
        }
        Completed++;
        if (inputTokens is { } i) _inputTokens += i; else _missingInput++;
        if (outputTokens is { } o) _outputTokens += o; else _missingOutput++;
        if (ttftS is { } t) TtftS.Add(t);
        if (tpotS is { } p) TpotS.Add(p);
        E2eS.Add(e2eS);
        ItlS.AddRange(tokenGapsS);
        if (slo is not null && slo.Met(ttftS, tpotS, outputTokens, e2eS)) Good++;
    }

    /// <summary>The summary section: throughputs over <paramref name="durationS"/> (null until the run's span is known),
    /// and each metric's mean, median, standard deviation and <paramref name="percentiles"/>, in ms.</summary>
    public ServingSection ToSection(IReadOnlyList<double> percentiles, double? durationS)
    {
        double? PerSecond(double? count) => count is { } c && durationS is > 0 ? c / durationS : null;
        var (ttft, tpot, itl, e2el) = (Ms(TtftS), Ms(TpotS), Ms(ItlS), Ms(E2eS));
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var metric in ServingSection.Metrics)
        {
            foreach (var p in percentiles)
            {
                var v = metric switch
                {
                    "ttft" => TtftS.Percentile(p),
                    "tpot" => TpotS.Percentile(p),
                    "itl" => ItlS.Percentile(p),
                    _ => E2eS.Percentile(p),
                };
                values[ServingSection.PercentileKey(metric, p)] = JsonSerializer.SerializeToElement(v * 1000, SummaryFile.NullableDoubleInfo);
            }
        }
        return new ServingSection
        {
            Duration = durationS,
            Completed = Completed,
            Failed = Failed,
            TotalInputTokens = InputTokens,
            TotalOutputTokens = OutputTokens,
            RequestThroughput = PerSecond(Completed),
            RequestGoodput = slo is null ? null : PerSecond(Good),
            OutputThroughput = PerSecond(OutputTokens),
            TotalTokenThroughput = PerSecond(InputTokens + OutputTokens),
            MeanTtftMs = ttft.Mean,
            MedianTtftMs = ttft.Median,
            StdTtftMs = ttft.Std,
            MeanTpotMs = tpot.Mean,
            MedianTpotMs = tpot.Median,
            StdTpotMs = tpot.Std,
            MeanItlMs = itl.Mean,
            MedianItlMs = itl.Median,
            StdItlMs = itl.Std,
            MeanE2elMs = e2el.Mean,
            MedianE2elMs = e2el.Median,
            StdE2elMs = e2el.Std,
            Percentiles = [.. percentiles],
            PercentileDefinition = Statistics.PercentileDefinition,
            PercentileValues = values,
            SloMs = slo?.Milliseconds(),
            GoodRequests = slo is null ? null : Good,
            GoodFraction = slo is not null && Completed + Failed > 0 ? (double)Good / (Completed + Failed) : null,
        };
    }

    private static (double? Mean, double? Median, double? Std) Ms<T>(Distribution<T> d) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T> =>
        (d.Mean * 1000, d.Percentile(50) * 1000, d.StandardDeviation * 1000);
}
