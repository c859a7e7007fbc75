using System.Text.Json;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Summary;

namespace Ipw.Core.Tests;

/// <summary>The serving section: vLLM's figures over the successful queries, the inter-token latency pooled over every
/// gap of every query, TPOT per query, nothing made up from a missing value.</summary>
public sealed class ServingTallyTests
{
    /// <summary>A record made as the pipeline makes one: each stage writes its columns; timing writes the token gaps (itl_s) too.</summary>
    private static QueryRecord Record(string status, double? ttft, double? tpot, double e2e, long? output, double[] gaps)
    {
        var r = new RecordBuilder();
        r.Enter(RecordStage.Query).Set(RecordColumns.Status, status);
        r.Enter(RecordStage.Timing).Set(RecordColumns.TtftS, ttft).Set(RecordColumns.TpotS, tpot).Set(RecordColumns.E2eLatencyS, e2e).Set(RecordColumns.ItlS, gaps);
        r.Enter(RecordStage.Tokens).Set(RecordColumns.InputTokens, 10L).Set(RecordColumns.OutputTokens, output);
        return r.Build();
    }

    [Fact]
    public void Inter_token_latency_pools_every_gap_of_every_query_while_tpot_is_summarised_over_queries()
    {
        var totals = new RunTotals();
        // A short answer with 2 quick gaps and a long one with 8 slow gaps: the pool's median is a slow gap (50 ms),
        // where a median of the two queries' medians would be 30 ms.
        totals.Add(Record("ok", 0.1, 0.010, 0.12, 3, [0.010, 0.010]));
        totals.Add(Record("ok", 0.2, 0.050, 0.60, 9, Enumerable.Repeat(0.050, 8).ToArray()));
        // A failed query is counted, and none of its figures are used.
        totals.Add(Record("timeout", 9, 9, 9, 1, [9.0]));

        var s = totals.Serving.ToSection([50, 99], durationS: 2.0);
        Assert.Equal(2, s.Completed);
        Assert.Equal(1, s.Failed);
        Assert.Equal(50, s.MedianItlMs!.Value, 3);
        Assert.Equal((2 * 10 + 8 * 50) / 10.0, s.MeanItlMs!.Value, 3);
        Assert.Equal(50, s.PercentileMs("itl", 99)!.Value, 3);
        Assert.Equal(30, s.MeanTpotMs!.Value, 9);    // the mean of the two queries' TPOT
        Assert.Equal(30, s.MedianTpotMs!.Value, 9);
        Assert.Equal(20, s.StdTpotMs!.Value, 9);      // numpy.std([10, 50])
        Assert.Equal(150, s.MeanTtftMs!.Value, 9);
        Assert.Equal(199, s.PercentileMs("ttft", 99)!.Value, 9);
        Assert.Equal(360, s.MedianE2elMs!.Value, 9);
        Assert.Equal(1.0, s.RequestThroughput);
        Assert.Equal(12, s.TotalOutputTokens);
        Assert.Equal(6.0, s.OutputThroughput);
        Assert.Equal((20 + 12) / 2.0, s.TotalTokenThroughput);
    }

    [Fact]
    public void The_section_keeps_vllms_keys_through_summary_json_and_writes_null_for_what_was_not_measured()
    {
        var totals = new RunTotals();
        totals.Add(Record("ok", 0.1, null, 0.1, null, []));
        var summary = new RunSummary { Serving = totals.Serving.ToSection([90, 99.9], durationS: null) };
        var json = SummaryFile.Serialize(summary);
        using var doc = JsonDocument.Parse(json);
        var serving = doc.RootElement.GetProperty("serving");
        Assert.Equal(100, serving.GetProperty("mean_ttft_ms").GetDouble(), 9);
        Assert.Equal(100, serving.GetProperty("p99.9_ttft_ms").GetDouble(), 9);
        Assert.Equal(100, serving.GetProperty("p90_e2el_ms").GetDouble(), 9);
        // No gaps, no TPOT, no output count, no duration yet: null, never 0.
        foreach (var key in new[] { "mean_itl_ms", "p90_itl_ms", "median_tpot_ms", "p99.9_tpot_ms", "total_output_tokens", "output_throughput", "request_throughput", "duration" })
            Assert.Equal(JsonValueKind.Null, serving.GetProperty(key).ValueKind);
        Assert.Equal([90, 99.9], serving.GetProperty("percentiles").EnumerateArray().Select(e => e.GetDouble()));

        var back = SummaryFile.Deserialize(json).Serving!;
        Assert.Equal(100, back.PercentileMs("ttft", 99.9)!.Value, 9);
        Assert.Null(back.PercentileMs("itl", 90));
        Assert.Null(back.PercentileMs("ttft", 50)); // not asked for
    }
}
