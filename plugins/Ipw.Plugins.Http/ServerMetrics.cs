using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ipw.Plugins.Http;

/// <summary>
/// A server's Prometheus metrics (<c>/metrics</c>: vLLM's <c>vllm:</c> series, llama.cpp's <c>llamacpp:</c> ones when
/// it runs with <c>--metrics</c>), read after the warm-up and after the run.
/// Each series is read as its <c># TYPE</c> says: counters are differenced, gauges are reported as read (a gauge's
/// difference means nothing), and histograms are differenced bucket by bucket into the server's own latency
/// percentiles for the run, set beside the client's. Series are summed over their labels (engines, models).
/// </summary>
internal sealed class ServerMetrics
{
    private readonly Dictionary<string, double> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _gauges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Histogram> _histograms = new(StringComparer.Ordinal);

    /// <summary>The server-side latencies vLLM keeps as histograms, by the names ipw reports them under. The
    /// inter-token histogram was <c>time_per_output_token_seconds</c> before vLLM 0.10.</summary>
    private static readonly (string Report, string[] Series)[] Latencies =
    [
        ("ttft", ["vllm:time_to_first_token_seconds"]),
        ("itl", ["vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"]),
        ("queue", ["vllm:request_queue_time_seconds"]),
        ("prefill", ["vllm:request_prefill_time_seconds"]),
        ("decode", ["vllm:request_decode_time_seconds"]),
        ("e2e", ["vllm:e2e_request_latency_seconds"]),
    ];

    public IReadOnlyDictionary<string, double> Counters => _counters;
    public IReadOnlyDictionary<string, double> Gauges => _gauges;

    /// <summary>The server's <c>/metrics</c>, its series named <paramref name="prefix"/>...; null when it serves none
    /// (llama.cpp without <c>--metrics</c> answers 501).</summary>
    public static async Task<ServerMetrics?> ScrapeAsync(HttpClient http, string prefix, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync("metrics", ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            return Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false), prefix);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Parses Prometheus text exposition: <c># TYPE</c> lines, then <c>name{labels} value [timestamp]</c>.</summary>
    internal static ServerMetrics Parse(string text, string prefix = "vllm:")
    {
        var metrics = new ServerMetrics();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 4) types[parts[2]] = parts[3];
                continue;
            }
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var close = line.LastIndexOf('}');
            var open = line.IndexOf('{');
            var nameEnd = open > 0 ? open : line.IndexOf(' ');
            if (nameEnd <= 0) continue;
            var name = line[..nameEnd];
            var rest = (close > 0 ? line[(close + 1)..] : line[nameEnd..]).Trim().Split(' ')[0];
            if (!double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) continue;
            var labels = open > 0 && close > open ? line[(open + 1)..close] : "";
            metrics.Add(name, labels, value, types);
        }
        return metrics;
    }

    private void Add(string name, string labels, double value, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (!name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var family = name[..^suffix.Length];
            if (types.GetValueOrDefault(family) != "histogram") continue;
            var h = _histograms.TryGetValue(family, out var found) ? found : _histograms[family] = new Histogram();
            if (suffix == "_sum") h.Sum += value;
            else if (suffix == "_count") h.Count += value;
            else if (Le(labels) is { } le) h.Buckets[le] = h.Buckets.GetValueOrDefault(le) + value;
            return;
        }
        var type = types.GetValueOrDefault(name) ?? (name.EndsWith("_total", StringComparison.Ordinal) ? "counter" : "gauge");
        // Counter families are declared without their _total suffix in some exporters.
        if (types.GetValueOrDefault(name.EndsWith("_total", StringComparison.Ordinal) ? name[..^6] : "") == "counter") type = "counter";
        var into = type == "counter" ? _counters : _gauges;
        into[name] = into.GetValueOrDefault(name) + value;
    }

    private static double? Le(string labels)
    {
        var at = labels.IndexOf("le=\"", StringComparison.Ordinal);
        if (at < 0) return null;
        var end = labels.IndexOf('"', at + 4);
        if (end < 0) return null; // an unterminated label: not a bucket bound
        var text = labels[(at + 4)..end];
        return text == "+Inf" ? double.PositiveInfinity
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>What summary.json keeps under <c>client.report</c>: the run's counter differences, the gauges as read
    /// before and after, and the server's latency percentiles over the run (from histogram differences).</summary>
    /// <param name="absent">What to say when the server served no metrics at all (how to turn them on).</param>
    public static Dictionary<string, string> Report(ServerMetrics? before, ServerMetrics? after, string? absent = null)
    {
        if (before is null && after is null)
            return new Dictionary<string, string> { ["metrics_read"] = JsonSerializer.Serialize("none: the server serves no /metrics" + (absent is null ? "" : $" ({absent})")) };
        var report = new Dictionary<string, string>
        {
            ["metrics_read"] = JsonSerializer.Serialize(before is null
                ? "after the run only: no reading after the warm-up, so no differences"
                : "after the warm-up and after the run; counters and histograms differenced, gauges as read"),
        };
        if (after is null) return report;
        report["gauges_after"] = JsonSerializer.Serialize(after._gauges);
        if (before is null) return report;
        report["gauges_before"] = JsonSerializer.Serialize(before._gauges);
        report["counters_delta"] = JsonSerializer.Serialize(after._counters.Where(p => before._counters.ContainsKey(p.Key))
            .ToDictionary(p => p.Key, p => p.Value - before._counters[p.Key]));
        var latency = new JsonObject();
        foreach (var (key, series) in Latencies)
        {
            var name = series.FirstOrDefault(after._histograms.ContainsKey);
            if (name is null || !before._histograms.TryGetValue(name, out var b)) continue;
            var delta = after._histograms[name].Minus(b);
            latency[key] = delta.Count <= 0 ? null : new JsonObject
            {
                ["series"] = name,
                ["count"] = delta.Count,
                ["mean_s"] = delta.Sum / delta.Count,
                ["p50_s"] = delta.Quantile(0.50),
                ["p90_s"] = delta.Quantile(0.90),
                ["p99_s"] = delta.Quantile(0.99),
            };
        }
        report["server_latency"] = latency.ToJsonString();
        return report;
    }

    /// <summary>One histogram family: cumulative counts by upper bound, summed over label sets.</summary>
    internal sealed class Histogram
    {
        public SortedDictionary<double, double> Buckets { get; } = [];
        public double Sum { get; set; }
        public double Count { get; set; }

        public Histogram Minus(Histogram before)
        {
            var d = new Histogram { Sum = Sum - before.Sum, Count = Count - before.Count };
            foreach (var (le, n) in Buckets) d.Buckets[le] = n - before.Buckets.GetValueOrDefault(le);
            return d;
        }

        /// <summary>The q-quantile as Prometheus' <c>histogram_quantile</c> estimates it: linear within the bucket that
        /// holds the rank; a rank in the +Inf bucket reads as the highest finite bound. Null when empty.</summary>
        public double? Quantile(double q)
        {
            var total = Buckets.Count > 0 ? Buckets.Last().Value : 0;
            if (total <= 0) return null;
            var rank = q * total;
            double lower = 0, below = 0;
            foreach (var (le, cumulative) in Buckets)
            {
                if (cumulative >= rank)
                {
                    if (double.IsPositiveInfinity(le)) return lower;
                    var inBucket = cumulative - below;
                    return inBucket <= 0 ? le : lower + (le - lower) * (rank - below) / inBucket;
                }
                lower = le;
                below = cumulative;
            }
            return lower;
        }
    }
}
