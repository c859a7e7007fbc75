using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// Energy, power, GPU memory and temperature of a whole deployment, read from the Prometheus that already scrapes
/// it: NVIDIA's DCGM exporter (<c>DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION</c> in mJ, <c>DCGM_FI_DEV_POWER_USAGE</c>,
/// <c>DCGM_FI_DEV_FB_USED</c>, <c>DCGM_FI_DEV_GPU_TEMP</c>), the node exporter (<c>node_rapl_*_joules_total</c>) and
/// <c>ipw energy serve</c> (<c>ipw_*</c>). Every series the selectors match becomes one metric, its device named
/// <c>node/device</c>, so per-node and total energy come out of the same per-query windows as with local backends.
/// <para>Each read is one instant query (all series at once), at most every fifth of the shortest scrape interval:
/// Prometheus holds nothing newer. The learned update period of each counter is its target's scrape interval, which is
/// the resolution (unknown when /api/v1/targets does not say: the counter is then judged as the slowest plausible). A
/// counter that goes down was reset (an exporter restart): the increase continues from its new value, as Prometheus's
/// own <c>increase()</c> does, and the reset is noted in summary.json. A series whose newest sample is older than three
/// of the slowest scrape intervals is a gap (NaN, never a held or zero value), and noted.</para>
/// Configured through the settings <c>prometheus.url</c>, <c>prometheus.job</c>, <c>prometheus.instance</c> and
/// <c>prometheus.gpu</c> (<c>--prometheus-url</c>, <c>--prometheus-job</c>, <c>--prometheus-instance</c>,
/// <c>--prometheus-gpu</c>).
/// </summary>
internal sealed partial class PrometheusSource : ITelemetrySource, ITelemetryNotes
{
    public const string UrlSetting = "prometheus.url", JobSetting = "prometheus.job", InstanceSetting = "prometheus.instance", GpuSetting = "prometheus.gpu";

    private static readonly (string Name, MetricKind Kind, string Unit, double Scale, bool Additive)[] Known =
    [
        ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", MetricKind.Energy, "J", 1e-3, true),
        ("DCGM_FI_DEV_POWER_USAGE", MetricKind.Power, "W", 1, true),
        ("DCGM_FI_DEV_FB_USED", MetricKind.Memory, "bytes", 1048576, true),
        ("DCGM_FI_DEV_GPU_TEMP", MetricKind.Temperature, "C", 1, true),
        ("ipw_energy_joules_total", MetricKind.Energy, "J", 1, true),
        ("ipw_power_watts", MetricKind.Power, "W", 1, true),
        ("ipw_memory_bytes", MetricKind.Memory, "bytes", 1, true),
        ("ipw_temperature_celsius", MetricKind.Temperature, "C", 1, true),
    ];

    [GeneratedRegex(@"^node_rapl_(\w+?)_joules_total$")]
    private static partial Regex NodeRapl();

    [GeneratedRegex(@"[^a-zA-Z0-9]+")]
    private static partial Regex Unsafe();

    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly string _query;
    private readonly string? _gpu;
    private readonly List<Series> _series = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<string> _notes = [];
    private readonly Lock _lock = new();
    private double[] _cached = [];
    private long _lastQuery = long.MinValue;
    private TimeSpan _minSpacing = TimeSpan.FromMilliseconds(100);
    private double _resolution = double.NaN;
    private int _failures;

    public PrometheusSource(TelemetrySourceOptions options)
    {
        var url = options.Get(UrlSetting) ?? "";
        _url = Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var u) ? u : new Uri("http://invalid/");
        _http = new HttpClient { BaseAddress = _url, Timeout = TimeSpan.FromSeconds(5) };
        var selectors = new List<string> { $"__name__=~\"{string.Join('|', Known.Select(k => k.Name))}|node_rapl_.+_joules_total\"" };
        if (options.Get(JobSetting) is { } job) selectors.Add($"job=~\"{job}\"");
        if (options.Get(InstanceSetting) is { } instance) selectors.Add($"instance=~\"{instance}\"");
        _gpu = options.Get(GpuSetting);
        _query = "{" + string.Join(", ", selectors) + "}";
    }

    /// <summary>Whether a Prometheus URL was given (the backend is used only when named, and only with one).</summary>
    public static Availability Check(TelemetrySourceOptions options) =>
        options.Get(UrlSetting) is { } url
            ? Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? Availability.Yes : Availability.No($"'{url}' is not an http(s) URL")
            : Availability.No("no Prometheus to read: give --prometheus-url");

    public IReadOnlyList<string> Notes
    {
        get { lock (_lock) return [.. _notes]; }
    }

    public TelemetryProbe Probe()
    {
        List<Sample> samples;
        try
        {
            samples = Query();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidDataException or JsonException)
        {
            return new TelemetryProbe(false, $"cannot query Prometheus at {_url} ({Reason(e)})", [], [], "prometheus");
        }
        // The counters move once per scrape: each series' scrape interval (its target's) is its update period (the
        // attribution places each reading at its scrape). Unknown, the counter still steps: its period is unknown.
        var intervals = samples.Any(Keep) ? ScrapeIntervals() : [];
        var scrape = new List<double>();
        foreach (var s in samples.Where(s => Keep(s)).OrderBy(s => s.Node, StringComparer.Ordinal).ThenBy(s => s.Device, StringComparer.Ordinal).ThenBy(s => s.Kind))
        {
            if (_index.ContainsKey(s.Key)) continue;
            var name = Unsafe().Replace(s.What, "_").Trim('_').ToLowerInvariant();
            // A series whose target is not listed as such (relabelled, federated) takes the slowest target's interval.
            var interval = intervals.TryGetValue(s.Target, out var own) ? own : intervals.GetValueOrDefault("", double.NaN);
            if (double.IsFinite(interval)) scrape.Add(interval);
            _index[s.Key] = _series.Count;
            _series.Add(new Series(s.Key, new MetricInfo(name, $"{s.Node}/{s.Device}", s.Kind, s.Unit)
            {
                Additive = s.Additive,
                UpdatePeriod = s.Kind == MetricKind.Energy && double.IsFinite(interval) ? TimeSpan.FromSeconds(interval) : null,
                UpdatePeriodUnknown = s.Kind == MetricKind.Energy && !double.IsFinite(interval),
            }));
        }
        _resolution = scrape.Count > 0 ? scrape.Max() : double.NaN;
        if (_series.Count == 0)
            return new TelemetryProbe(false, $"no series in Prometheus at {_url} match {_query}{(_gpu is null ? "" : $" and gpu {_gpu}")}: "
                + "is the DCGM exporter, the node exporter or ipw energy serve scraped there (check up{...} and the job and instance selectors)?", [], [], "prometheus");
        if (scrape.Count > 0) _minSpacing = TimeSpan.FromSeconds(Math.Clamp(scrape.Min() / 5, 0.05, 1));
        _cached = new double[_series.Count];
        Array.Fill(_cached, double.NaN);
        var nodes = _series.Select(s => s.Info.Device.Split('/')[0]).Distinct().ToList();
        var missing = new List<MissingMetric>();
        foreach (var kind in new[] { MetricKind.Energy, MetricKind.Power, MetricKind.Memory, MetricKind.Temperature })
            if (_series.All(s => s.Info.Kind != kind)) missing.Add(new MissingMetric(kind, $"no series of this kind matched {_query}"));
        var details = new Dictionary<string, string>
        {
            ["url"] = _url.ToString(),
            ["query"] = _query,
            ["nodes"] = string.Join(",", nodes),
            ["node_count"] = nodes.Count.ToString(CultureInfo.InvariantCulture),
            ["devices"] = string.Join(",", _series.Select(s => s.Info.Device).Distinct()),
            ["resolution_s"] = double.IsFinite(_resolution) ? _resolution.ToString("0.###", CultureInfo.InvariantCulture) : "unknown",
        };
        foreach (var s in _series.Where(s => s.Info.Kind == MetricKind.Energy))
            details[$"{s.Info.Device}_energy_update_ms"] = s.Info.UpdatePeriod is { } p
                ? p.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)
                : "unknown (no scrape interval from /api/v1/targets): taken as the slowest plausible";
        return new TelemetryProbe(true, null, _series.Select(s => s.Info).ToList(), missing,
            "prometheus: instant queries of the scraped exporters; counters step once per scrape, so the scrape interval is the resolution")
        {
            Details = details,
            Devices = _series.Select(s => s.Info.Device).Distinct().Select(d => new DeviceInfo(d, d.Split('/')[^1].TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), null)).ToList(),
        };
    }

    public void Read(Span<double> values)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_lastQuery != long.MinValue && System.Diagnostics.Stopwatch.GetElapsedTime(_lastQuery, now) < _minSpacing)
        {
            _cached.AsSpan(0, Math.Min(values.Length, _cached.Length)).CopyTo(values);
            return;
        }
        _lastQuery = now;
        Array.Fill(_cached, double.NaN);
        List<Sample> samples;
        try
        {
            samples = Query();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidDataException or JsonException)
        {
            if (++_failures is 1 or 10 or 100) Note($"{_failures} queries to Prometheus failed (the latest: {Reason(e)}); those reads are missing");
            _cached.AsSpan(0, Math.Min(values.Length, _cached.Length)).CopyTo(values);
            return;
        }
        var wall = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var stale = double.IsFinite(_resolution) ? 3 * _resolution : 15;
        var seen = new bool[_series.Count];
        foreach (var s in samples)
        {
            if (!_index.TryGetValue(s.Key, out var i)) continue;
            seen[i] = true;
            var series = _series[i];
            if (wall - s.Time > stale)
            {
                if (!series.InGap) Note($"{series.Info.Name}: no sample for {wall - s.Time:0.#} s (a scrape gap); missing until it returns");
                series.InGap = true;
                continue;
            }
            series.InGap = false;
            var v = s.Value;
            if (series.Info.Kind == MetricKind.Energy)
            {
                // Prometheus counter semantics: a decrease is a reset, after which the counter counts from zero.
                if (series.LastRaw is { } last && v < last)
                {
                    series.Offset += last;
                    Note($"{series.Info.Name}: counter reset (from {last:0.###} J to {v:0.###} J); its increase continues from the new value");
                }
                series.LastRaw = v;
                v += series.Offset;
            }
            _cached[i] = v;
        }
        // A failed scrape makes Prometheus mark the series stale: it drops out of the answer until the next good scrape.
        for (var i = 0; i < _series.Count; i++)
        {
            if (seen[i] || _series[i].InGap) continue;
            _series[i].InGap = true;
            Note($"{_series[i].Info.Name}: no current sample in Prometheus (a scrape gap: the target was down or too slow); missing until it returns");
        }
        _cached.AsSpan(0, Math.Min(values.Length, _cached.Length)).CopyTo(values);
    }

    public void Dispose() => _http.Dispose();

    private void Note(string note)
    {
        lock (_lock)
        {
            if (_notes.Count < 100) _notes.Add(note);
        }
    }

    /// <summary>One instant query for every matching series.</summary>
    private List<Sample> Query()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/query?query=" + Uri.EscapeDataString(_query));
        using var response = _http.Send(request);
        using var stream = response.Content.ReadAsStream();
        return ParseQuery(stream, (int)response.StatusCode);
    }

    /// <summary>The samples of an instant query's response (Prometheus' HTTP API JSON). A response that is not JSON is a
    /// <see cref="JsonException"/>; one that is JSON of another shape, or that says the query failed, an
    /// <see cref="InvalidDataException"/> (the scrape is then a gap, and the run goes on).</summary>
    internal static List<Sample> ParseQuery(Stream body, int httpStatus)
    {
        using var doc = JsonDocument.Parse(body);
        try
        {
            return Samples(doc.RootElement, httpStatus);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            throw new InvalidDataException($"HTTP {httpStatus}: not a Prometheus query response ({e.Message})");
        }
    }

    private static List<Sample> Samples(JsonElement root, int httpStatus)
    {
        if (httpStatus is < 200 or > 299 || root.GetProperty("status").GetString() != "success")
            throw new InvalidDataException($"HTTP {httpStatus}: {(root.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.String ? err.GetString() : "query failed")}");
        var samples = new List<Sample>();
        foreach (var r in root.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = r.GetProperty("metric");
            var name = Label(labels, "__name__") ?? "";
            var value = r.GetProperty("value");
            var time = value[0].GetDouble();
            if (!double.IsFinite(time) || !double.TryParse(value[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v)) continue;
            var node = Label(labels, "node") ?? Label(labels, "Hostname") ?? Label(labels, "instance") ?? "?";
            var target = $"{Label(labels, "job")}|{Label(labels, "instance")}";
            if (Known.FirstOrDefault(k => k.Name == name) is { Name: not null } known)
            {
                var device = name.StartsWith("DCGM", StringComparison.Ordinal) ? "gpu" + (Label(labels, "gpu") ?? "?") : Label(labels, "device") ?? "?";
                // The metric's name here: the node, then what ipw serve called it, or the GPU and what it measures.
                var what = name.StartsWith("ipw_", StringComparison.Ordinal) ? $"{node}_{Label(labels, "metric") ?? device}" : $"{node}_{device}_{KindWord(known.Kind)}";
                var additive = Label(labels, "additive") != "false" && known.Additive;
                samples.Add(new Sample($"{name}|{node}|{device}|{what}", target, node, device, known.Kind, known.Unit, additive, what, time, v * known.Scale));
            }
            else if (NodeRapl().Match(name) is { Success: true } rapl)
            {
                // Package and DRAM add up; core, uncore and psys overlap them.
                var zone = rapl.Groups[1].Value;
                var device = $"rapl{Label(labels, "index") ?? "0"}-{zone}";
                samples.Add(new Sample($"{name}|{node}|{device}", target, node, device, MetricKind.Energy, "J", zone is "package" or "dram", $"{node}_{device}_energy_j", time, v));
            }
        }
        return samples;
    }

    private bool Keep(Sample s) => _gpu is null || !s.Device.StartsWith("gpu", StringComparison.Ordinal)
        || _gpu.Split(',').Any(g => s.Device == "gpu" + g.Trim());

    /// <summary>Each active target's scrape interval in seconds, by "job|instance", and the slowest under ""; from
    /// /api/v1/targets (empty when it cannot be read).</summary>
    private Dictionary<string, double> ScrapeIntervals()
    {
        var intervals = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            using var response = _http.Send(new HttpRequestMessage(HttpMethod.Get, "api/v1/targets?state=active"));
            using var doc = JsonDocument.Parse(response.Content.ReadAsStream());
            foreach (var t in doc.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray())
            {
                if (!t.TryGetProperty("scrapeInterval", out var si) || Seconds(si.GetString()) is not { } s) continue;
                var labels = t.TryGetProperty("labels", out var l) ? l : default;
                var target = labels.ValueKind == JsonValueKind.Object ? $"{Label(labels, "job")}|{Label(labels, "instance")}" : "?";
                intervals[target] = Math.Max(s, intervals.GetValueOrDefault(target));
                intervals[""] = Math.Max(s, intervals.GetValueOrDefault(""));
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            intervals.Clear();
        }
        return intervals;
    }

    /// <summary>"1s", "500ms", "1m30s" (Prometheus durations).</summary>
    internal static double? Seconds(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        double total = 0;
        foreach (Match m in Regex.Matches(text, @"(\d+(?:\.\d+)?)(ms|s|m|h|d)"))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += n * m.Groups[2].Value switch { "ms" => 0.001, "s" => 1, "m" => 60, "h" => 3600, _ => 86400 };
        }
        return total > 0 ? total : null;
    }

    private static string KindWord(MetricKind kind) => kind switch
    {
        MetricKind.Energy => "energy_j",
        MetricKind.Power => "power_w",
        MetricKind.Memory => "memory_bytes",
        _ => "temperature_c",
    };

    private static string? Label(JsonElement labels, string name) => labels.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Reason(Exception e) => e is TaskCanceledException ? "timed out after 5 s" : e.Message;

    internal sealed record Sample(string Key, string Target, string Node, string Device, MetricKind Kind, string Unit, bool Additive, string What, double Time, double Value);

    private sealed class Series(string key, MetricInfo info)
    {
        public string Key { get; } = key;
        public MetricInfo Info { get; } = info;
        public double? LastRaw { get; set; }
        public double Offset { get; set; }
        public bool InGap { get; set; }
    }
}
