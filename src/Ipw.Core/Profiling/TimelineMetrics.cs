using System.Diagnostics;
using Ipw.Abstractions;

namespace Ipw.Core.Profiling;

/// <summary>Latency metrics derived from a recorded stream timeline: computed here, once, for every client.</summary>
public readonly record struct TimelineMetrics(double E2eS, double? TtftS, double? TpotS, double? DecodeTokensPerS, double? ItlP50S, double? ItlP99S)
{
    /// <summary>
    /// TTFT is the time to the first chunk carrying content or reasoning (role-only and empty chunks do
    /// not count). Inter-token latencies are per token: a gap is divided by the tokens its chunk carried.
    /// </summary>
    public static TimelineMetrics From(InferenceResult result)
    {
        var e2e = Seconds(result.SentAt, result.CompletedAt);
        long first = 0, last = 0;
        var found = false;
        var gaps = new List<double>();
        long previous = 0;
        foreach (var chunk in result.Chunks)
        {
            if (chunk.Kind == ChunkKind.Empty) continue;
            if (!found)
            {
                first = chunk.Timestamp;
                found = true;
            }
            else
            {
                var perToken = Seconds(previous, chunk.Timestamp) / Math.Max(1, chunk.Tokens ?? 1);
                for (var i = 0; i < Math.Max(1, chunk.Tokens ?? 1); i++) gaps.Add(perToken);
            }
            previous = last = chunk.Timestamp;
        }
        if (!found) return new TimelineMetrics(e2e, null, null, null, null, null);

        var ttft = Seconds(result.SentAt, first);
        double? tpot = null, rate = null;
        var outputTokens = result.Usage?.OutputTokens;
        if (outputTokens is > 1 && last > first)
        {
            var decode = Seconds(first, last);
            tpot = decode / (outputTokens.Value - 1);
            rate = (outputTokens.Value - 1) / decode;
        }
        gaps.Sort();
        return new TimelineMetrics(e2e, ttft, tpot, rate,
            gaps.Count > 0 ? Percentile(gaps, 0.50) : null,
            gaps.Count > 0 ? Percentile(gaps, 0.99) : null);
    }

    private static double Seconds(long from, long to) => (double)(to - from) / Stopwatch.Frequency;

    /// <summary>Linear-interpolated percentile of sorted values.</summary>
    internal static double Percentile(List<double> sorted, double q)
    {
        var pos = q * (sorted.Count - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
