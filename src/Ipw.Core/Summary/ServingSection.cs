using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ipw.Core.Summary;

/// <summary>
/// The run as vLLM's <c>bench serve</c> reports one, under vLLM's own result keys and units, so the two can be put side
/// by side: counts and throughputs over the successful queries, and the mean, median, standard deviation and chosen
/// percentiles (<c>p99_ttft_ms</c>, ...) of TTFT, TPOT (per query, excluding the first token), inter-token latency
/// (every gap of every successful query, pooled) and end-to-end latency, in milliseconds. A figure nothing measured is
/// null, never 0 (where vLLM writes 0).
/// </summary>
public sealed record ServingSection
{
    /// <summary>The benchmark duration: the measured span, from the first send to the last completion, s.</summary>
    public double? Duration { get; init; }
    public int Completed { get; init; }
    public int Failed { get; init; }
    /// <summary>Over the successful queries; null when one of them has no count.</summary>
    public long? TotalInputTokens { get; init; }
    /// <summary>Over the successful queries; null when one of them has no count.</summary>
    public long? TotalOutputTokens { get; init; }
    public double? RequestThroughput { get; init; }
    /// <summary>Good queries (those that met every objective of <see cref="SloMs"/>) per second of
    /// <see cref="Duration"/>; null without objectives.</summary>
    public double? RequestGoodput { get; init; }
    public double? OutputThroughput { get; init; }
    public double? TotalTokenThroughput { get; init; }

    public double? MeanTtftMs { get; init; }
    public double? MedianTtftMs { get; init; }
    public double? StdTtftMs { get; init; }
    public double? MeanTpotMs { get; init; }
    public double? MedianTpotMs { get; init; }
    public double? StdTpotMs { get; init; }
    public double? MeanItlMs { get; init; }
    public double? MedianItlMs { get; init; }
    public double? StdItlMs { get; init; }
    public double? MeanE2elMs { get; init; }
    public double? MedianE2elMs { get; init; }
    public double? StdE2elMs { get; init; }

    /// <summary>The open-loop rate asked (vLLM's <c>request_rate</c>): "inf" in the file for every request at once; null
    /// for a closed loop.</summary>
    [JsonConverter(typeof(RateJsonConverter))]
    public double? RequestRate { get; init; }
    /// <summary>The gamma shape of open-loop gaps (vLLM's <c>burstiness</c>: 1 is Poisson); null when not given.</summary>
    public double? Burstiness { get; init; }
    /// <summary>Closed loop: requests in flight (vLLM's <c>max_concurrency</c>); null for an open loop.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>The objectives (<c>--slo</c>) in ms under vLLM's names: ttft, tpot, e2el; null without.</summary>
    public Dictionary<string, double>? SloMs { get; init; }
    /// <summary>Successful queries that met every objective; null without objectives.</summary>
    public int? GoodRequests { get; init; }
    /// <summary>The share of all queries (failed ones included) that met every objective; null without objectives.</summary>
    public double? GoodFraction { get; init; }

    /// <summary>The percentiles asked for (<c>--percentiles</c>), each written as <c>p{P}_{metric}_ms</c>.</summary>
    public List<double> Percentiles { get; init; } = [];
    public string? PercentileDefinition { get; init; }

    /// <summary>The <c>p{P}_{metric}_ms</c> values (vLLM's keys; which exist depends on <see cref="Percentiles"/>), and
    /// any key this version does not know.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? PercentileValues { get; set; }

    /// <summary>The metrics, as vLLM names them in its keys.</summary>
    public static IReadOnlyList<string> Metrics { get; } = ["ttft", "tpot", "itl", "e2el"];

    /// <summary>vLLM's key for the <paramref name="percent"/>-th percentile of <paramref name="metric"/>: p99_ttft_ms,
    /// p99.9_itl_ms (a whole percent without decimals).</summary>
    public static string PercentileKey(string metric, double percent) => $"p{PercentWord(percent)}_{metric}_ms";

    /// <summary>A percent as vLLM writes it in keys and labels: 99, 99.9.</summary>
    public static string PercentWord(double percent) => percent == Math.Floor(percent)
        ? ((long)percent).ToString(CultureInfo.InvariantCulture)
        : percent.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The <paramref name="percent"/>-th percentile of <paramref name="metric"/> in ms; null when not measured or
    /// not asked for.</summary>
    public double? PercentileMs(string metric, double percent) =>
        PercentileValues?.TryGetValue(PercentileKey(metric, percent), out var v) == true && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    /// <summary>The mean, median and standard deviation of <paramref name="metric"/> in ms.</summary>
    public (double? Mean, double? Median, double? Std) Figures(string metric) => metric switch
    {
        "ttft" => (MeanTtftMs, MedianTtftMs, StdTtftMs),
        "tpot" => (MeanTpotMs, MedianTpotMs, StdTpotMs),
        "itl" => (MeanItlMs, MedianItlMs, StdItlMs),
        "e2el" => (MeanE2elMs, MedianE2elMs, StdE2elMs),
        _ => throw new ArgumentException($"no serving metric '{metric}'", nameof(metric)),
    };
}
