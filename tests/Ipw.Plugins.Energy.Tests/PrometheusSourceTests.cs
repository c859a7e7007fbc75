using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ipw.Abstractions;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>The update period the Prometheus backend declares for its counters, against a stand-in Prometheus that
/// answers the two API calls the backend makes (the end-to-end tests run a real one).</summary>
public sealed class PrometheusSourceTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly string _url;
    private string? _targets;
    private string? _query;

    public PrometheusSourceTests()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
        }
        _listener.Prefixes.Add(_url);
        _listener.Start();
        _ = Task.Run(Serve);
    }

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            var path = context.Request.Url!.AbsolutePath;
            var body = path == "/api/v1/query" ? Query() : path == "/api/v1/targets" ? _targets : null;
            context.Response.StatusCode = body is null ? 404 : 200;
            var bytes = Encoding.UTF8.GetBytes(body ?? "404 page not found");
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    /// <summary>A DCGM exporter scraped every second and a node exporter every 15 s, as Prometheus answers for them.</summary>
    private string Query()
    {
        if (_query is { } fixedBody) return fixedBody;
        var now = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
        return $$$"""
            {"status":"success","data":{"resultType":"vector","result":[
              {"metric":{"__name__":"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION","gpu":"0","Hostname":"gpu-a","job":"dcgm","instance":"10.0.0.3:9400"},"value":[{{{now}}},"123456789"]},
              {"metric":{"__name__":"DCGM_FI_DEV_POWER_USAGE","gpu":"0","Hostname":"gpu-a","job":"dcgm","instance":"10.0.0.3:9400"},"value":[{{{now}}},"251.5"]},
              {"metric":{"__name__":"node_rapl_package_joules_total","index":"0","job":"node","instance":"10.0.0.4:9100"},"value":[{{{now}}},"81234.5"]}]}}
            """;
    }

    private const string TwoTargets = """
        {"status":"success","data":{"activeTargets":[
          {"labels":{"instance":"10.0.0.3:9400","job":"dcgm"},"scrapePool":"dcgm","health":"up","scrapeInterval":"1s","scrapeTimeout":"900ms"},
          {"labels":{"instance":"10.0.0.4:9100","job":"node"},"scrapePool":"node","health":"up","scrapeInterval":"15s","scrapeTimeout":"10s"}],
          "droppedTargets":[]}}
        """;

    private PrometheusSource Source() =>
        new(new TelemetrySourceOptions { Settings = new Dictionary<string, string> { [PrometheusSource.UrlSetting] = _url } });

    [Fact]
    public void Each_counter_declares_its_own_targets_scrape_interval_as_its_update_period()
    {
        _targets = TwoTargets;
        using var source = Source();
        var probe = source.Probe();
        Assert.True(probe.Available, probe.Reason);
        var byName = probe.Metrics.ToDictionary(m => m.Name);
        // Each counter steps once per scrape of its own target, not of the slowest one Prometheus scrapes.
        Assert.Equal(TimeSpan.FromSeconds(1), byName["gpu_a_gpu0_energy_j"].UpdatePeriod);
        Assert.Equal(TimeSpan.FromSeconds(15), byName["10_0_0_4_9100_rapl0_package_energy_j"].UpdatePeriod);
        Assert.All(probe.Metrics, m => Assert.False(m.UpdatePeriodUnknown));
        Assert.Null(byName["gpu_a_gpu0_power_w"].UpdatePeriod);
        Assert.Equal("1000", probe.Details["gpu-a/gpu0_energy_update_ms"]);
        Assert.Equal("15", probe.Details["resolution_s"]);
    }

    [Theory]
    [InlineData("""{"status":"success","data":{"result":[{"value":[1]}]}}""")]
    [InlineData("""{"status":"success","data":{"result":[{"metric":{"__name__":"ipw_power_watts"},"value":[1]}]}}""")]
    [InlineData("""{"status":"success","data":{"result":[{"metric":{"__name__":"ipw_power_watts"},"value":["now",2]}]}}""")]
    [InlineData("""{"status":"success","data":{"result":[{"metric":[],"value":[1,"2"]}]}}""")]
    [InlineData("""{"status":"success","data":{"result":[{"metric":{},"value":{}}]}}""")]
    [InlineData("""{"status":"success","data":{"result":{}}}""")]
    [InlineData("""{"status":1}""")]
    [InlineData("""{"data":[]}""")]
    public void A_response_of_another_shape_is_a_failed_scrape_not_an_escaping_exception(string body)
    {
        Assert.Throws<InvalidDataException>(() => PrometheusSource.ParseQuery(new MemoryStream(Encoding.UTF8.GetBytes(body)), 200));
        _targets = TwoTargets;
        _query = body;
        using var source = Source();
        var probe = source.Probe();
        Assert.False(probe.Available);
        Assert.Contains("not a Prometheus query response", probe.Reason);
    }

    [Fact]
    public void A_counter_whose_scrape_interval_cannot_be_learned_declares_its_period_unknown()
    {
        _targets = null; // the targets API answers 404 (a proxy in front of Prometheus that passes only queries)
        using var source = Source();
        var probe = source.Probe();
        Assert.True(probe.Available, probe.Reason);
        var energy = probe.Metrics.Where(m => m.Kind == MetricKind.Energy).ToList();
        Assert.Equal(2, energy.Count);
        // It still steps once per scrape: never taken as current at read time.
        Assert.All(energy, m => Assert.True(m.UpdatePeriodUnknown));
        Assert.All(energy, m => Assert.Null(m.UpdatePeriod));
        Assert.False(probe.Metrics.Single(m => m.Kind == MetricKind.Power).UpdatePeriodUnknown);
        Assert.StartsWith("unknown", probe.Details["gpu-a/gpu0_energy_update_ms"]);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
    }
}
