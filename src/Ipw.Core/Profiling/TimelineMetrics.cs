using System.Diagnostics;
using Ipw.Abstractions;

namespace Ipw.Core.Profiling;

/// <summary>Latency metrics derived from a recorded stream timeline: computed here, once, for every client.</summary>
public readonly record struct TimelineMetrics(double E2eS, double? TtftS, double? TpotS, double? DecodeTokensPerS, double? ItlP50S, double? ItlP99S)
{
    /// <summary>Every inter-token gap of the query, s, in the order they came: one per token where the chunks' token counts
    /// are known, one per chunk (its gap over its estimated tokens) where they are not. The run pools them, so its
    /// inter-token latency is over all gaps of all queries (as vLLM's and AIPerf's), not over per-query figures.</summary>
    public double[] TokenGapsS { get; init; } = [];

    /// <summary>
    /// TTFT is the time to the first chunk carrying content or reasoning (role-only and empty chunks do
    /// not count). Inter-token latencies are per token: a gap is divided by the tokens its chunk carried.
    /// </summary>
    public static TimelineMetrics From(InferenceResult result)
    {
        var e2e = Seconds(result.SentAt, result.CompletedAt);
        var outputTokens = result.Usage?.OutputTokens;

        // Tokens per chunk: as the client recorded them; where unknown, the server's output count spread
        // evenly over the chunks that carried text (1 when neither is known). Never a chunk taken for a token
        // when the server said otherwise.
        int textChunks = 0, unknown = 0;
        long known = 0;
        foreach (var c in result.Chunks)
        {
            if (c.Kind == ChunkKind.Empty) continue;
            textChunks++;
            if (c.Tokens is { } t) known += t; else unknown++;
        }
        var fallback = unknown > 0 && outputTokens is { } total && total - known > 0 ? (double)(total - known) / unknown : 1.0;

        long first = 0, last = 0, previous = 0;
        var found = false;
        var gaps = new List<double>(textChunks);
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
                var tokens = chunk.Tokens is { } t ? Math.Max(1, t) : fallback;
                var perToken = Seconds(previous, chunk.Timestamp) / tokens;
                // One entry per token when the count is exact; one per chunk when it is an average.
                var entries = chunk.Tokens is { } n ? Math.Max(1, n) : 1;
                for (var i = 0; i < entries; i++) gaps.Add(perToken);
            }
            previous = last = chunk.Timestamp;
        }
        if (!found) return new TimelineMetrics(e2e, null, null, null, null, null);

        var ttft = Seconds(result.SentAt, first);
        double? tpot = null, rate = null;
        if (outputTokens is > 1 && last > first)
        {
            var decode = Seconds(first, last);
            tpot = decode / (outputTokens.Value - 1);
            rate = (outputTokens.Value - 1) / decode;
        }
        // The record keeps the gaps in order; the per-query percentiles sort the list itself (no third copy per query).
        var inOrder = gaps.ToArray();
        gaps.Sort();
        var sorted = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(gaps);
        return new TimelineMetrics(e2e, ttft, tpot, rate,
            sorted.Length > 0 ? Statistics.Percentile(sorted, 50) : null,
            sorted.Length > 0 ? Statistics.Percentile(sorted, 99) : null)
        { TokenGapsS = inOrder };
    }

    private static double Seconds(long from, long to) => (double)(to - from) / Stopwatch.Frequency;
}
