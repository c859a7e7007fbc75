using System.Text.Json;

namespace Ipw.Plugins.Http.Tests;

/// <summary>vLLM's /metrics read as Prometheus types them: counters differenced, gauges as read, histograms differenced
/// into the server's own latency percentiles.</summary>
public sealed class ServerMetricsTests
{
    private static string Exposition(double ttftCount0_1, double ttftCount0_5, double ttftInf, double ttftSum, double tokens, double running) => $"""
        # HELP vllm:num_requests_running Number of requests in model execution batches.
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{"{"}engine="0",model_name="m"{"}"} {running}
        # TYPE vllm:generation_tokens_total counter
        vllm:generation_tokens_total{"{"}engine="0",model_name="m"{"}"} {tokens}
        # TYPE vllm:time_to_first_token_seconds histogram
        vllm:time_to_first_token_seconds_bucket{"{"}engine="0",le="0.1",model_name="m"{"}"} {ttftCount0_1}
        vllm:time_to_first_token_seconds_bucket{"{"}engine="0",le="0.5",model_name="m"{"}"} {ttftCount0_5}
        vllm:time_to_first_token_seconds_bucket{"{"}engine="0",le="+Inf",model_name="m"{"}"} {ttftInf}
        vllm:time_to_first_token_seconds_count{"{"}engine="0",model_name="m"{"}"} {ttftInf}
        vllm:time_to_first_token_seconds_sum{"{"}engine="0",model_name="m"{"}"} {ttftSum}
        """;

    [Fact]
    public void The_runs_histogram_difference_gives_the_servers_percentiles_and_gauges_are_not_differenced()
    {
        // Warm-up: 1 request under 0.1 s. The run: 10 more, 2 under 0.1 s and 8 between 0.1 and 0.5 s.
        var before = ServerMetrics.Parse(Exposition(1, 1, 1, 0.05, 100, 3));
        var after = ServerMetrics.Parse(Exposition(3, 11, 11, 2.05, 600, 1));
        var report = ServerMetrics.Report(before, after);

        using var counters = JsonDocument.Parse(report["counters_delta"]);
        Assert.Equal(500, counters.RootElement.GetProperty("vllm:generation_tokens_total").GetDouble());
        Assert.False(counters.RootElement.TryGetProperty("vllm:num_requests_running", out _));
        using var gauges = JsonDocument.Parse(report["gauges_after"]);
        Assert.Equal(1, gauges.RootElement.GetProperty("vllm:num_requests_running").GetDouble());

        using var latency = JsonDocument.Parse(report["server_latency"]);
        var ttft = latency.RootElement.GetProperty("ttft");
        Assert.Equal(10, ttft.GetProperty("count").GetDouble());
        Assert.Equal(0.2, ttft.GetProperty("mean_s").GetDouble(), 9);
        // Rank 5 of 10: 2 below 0.1, so 3 of the 8 in (0.1, 0.5]: 0.1 + 0.4 * 3/8 = 0.25 (Prometheus' histogram_quantile).
        Assert.Equal(0.25, ttft.GetProperty("p50_s").GetDouble(), 9);
        Assert.Equal(0.1 + 0.4 * 7.9 / 8, ttft.GetProperty("p99_s").GetDouble(), 9);
    }

    [Fact]
    public void A_rank_in_the_infinite_bucket_reads_as_the_highest_finite_bound()
    {
        var before = ServerMetrics.Parse(Exposition(0, 0, 0, 0, 0, 0));
        var after = ServerMetrics.Parse(Exposition(0, 1, 4, 9, 0, 0));
        using var latency = JsonDocument.Parse(ServerMetrics.Report(before, after)["server_latency"]);
        Assert.Equal(0.5, latency.RootElement.GetProperty("ttft").GetProperty("p99_s").GetDouble());
    }

    [Fact]
    public void Without_a_reading_after_the_warm_up_no_difference_is_made_up()
    {
        var report = ServerMetrics.Report(null, ServerMetrics.Parse(Exposition(1, 1, 1, 0.05, 100, 3)));
        Assert.False(report.ContainsKey("counters_delta"));
        Assert.False(report.ContainsKey("server_latency"));
        Assert.Contains("after the run only", report["metrics_read"]);
    }

    [Fact]
    public void A_server_that_serves_no_metrics_is_said_to_with_how_to_turn_them_on()
    {
        var report = ServerMetrics.Report(null, null, "llama-server serves them with --metrics");
        Assert.Equal("\"none: the server serves no /metrics (llama-server serves them with --metrics)\"", report["metrics_read"]);
        Assert.Single(report);
    }

    [Fact]
    public void Llama_cpp_series_are_read_by_their_prefix_and_type()
    {
        const string text = "# TYPE llamacpp:tokens_predicted_total counter\nllamacpp:tokens_predicted_total 96\n" +
                            "# TYPE llamacpp:requests_processing gauge\nllamacpp:requests_processing 2\nvllm:other_total 5\n";
        var metrics = ServerMetrics.Parse(text, "llamacpp:");
        Assert.Equal(96, metrics.Counters["llamacpp:tokens_predicted_total"]);
        Assert.Equal(2, metrics.Gauges["llamacpp:requests_processing"]);
        Assert.DoesNotContain("vllm:other_total", metrics.Counters.Keys);
    }
}
