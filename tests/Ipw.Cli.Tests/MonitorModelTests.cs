using Ipw.Abstractions;
using Ipw.Tui;

namespace Ipw.Cli.Tests;

/// <summary>The monitor's numbers: totals that never turn a missing value into zero, and charts from counters.</summary>
public sealed class MonitorModelTests
{
    private static MonitorRow Row(long i, double? joules, bool? correct, double? watts = null, string status = "ok", long output = 10) =>
        new(i, "math", 0.01, 0.5, 20, output, 40, joules, watts ?? (joules is { } j ? j / 0.5 : null), correct, status, status == "ok" ? null : "boom", i + 0.5);

    [Fact]
    public void Without_energy_the_energy_totals_are_missing_not_zero()
    {
        var m = new MonitorModel();
        m.Add(Row(0, null, true));
        m.Add(Row(1, null, false));
        var t = m.Totals;
        Assert.Null(t.Joules);
        Assert.Null(t.TokensPerJoule);
        Assert.Null(t.AvgPowerW);
        Assert.Null(t.IntelligencePerJoule);
        Assert.Equal(0.5, t.Accuracy);
        Assert.Contains("energy —", m.TotalsLine());
        Assert.Contains("IPJ —", m.TotalsLine());
    }

    [Fact]
    public void Intelligence_follows_summary_json_and_needs_every_graded_querys_energy()
    {
        var m = new MonitorModel();
        m.Add(Row(0, 2.0, true));
        m.Add(Row(1, 4.0, false));
        m.Add(Row(2, 6.0, null, status: "timeout", output: 0));
        var t = m.Totals;
        Assert.Equal(12.0, t.Joules);
        Assert.Equal(20 / 12.0, t.TokensPerJoule!.Value, 12);
        Assert.Equal(0.5 / 3.0, t.IntelligencePerJoule!.Value, 12); // accuracy 0.5 over a mean of 3 J per graded query
        Assert.Equal(0.5 / 6.0, t.IntelligencePerWatt!.Value, 12);  // graded queries averaged 4 W and 8 W
        Assert.Equal([("timeout", 1)], m.ErrorsByClass);

        m.Add(Row(3, null, true));
        Assert.Null(m.Totals.IntelligencePerJoule);
    }

    [Fact]
    public void The_latency_line_pools_every_inter_token_gap_and_summarises_tpot_over_queries()
    {
        var m = new MonitorModel();
        Assert.Contains("TTFT —/—/— · TPOT —/—/— · ITL —/—/—", m.LatencyLine());
        // Two quick gaps in one answer and eight slow ones in another: the pooled median is a slow gap.
        m.Add(Row(0, null, null) with { TpotS = 0.010, TokenGapsS = new[] { 0.010, 0.010 } });
        m.Add(Row(1, null, null) with { TpotS = 0.050, TokenGapsS = Enumerable.Repeat(0.050, 8).ToArray() });
        m.Add(Row(2, null, null, status: "timeout") with { TpotS = 9, TokenGapsS = new[] { 9.0 } }); // failed: left out
        var line = m.LatencyLine();
        Assert.Contains("TTFT 10.0/10.0/10.0", line);
        Assert.Contains("TPOT 30.0/30.0/49.6", line);
        Assert.Contains("ITL 42.0/50.0/50.0", line);
        Assert.Contains(line, m.ToText());
    }

    [Fact]
    public void A_replayed_run_shows_its_pooled_inter_token_latency_from_summary_json()
    {
        var m = new MonitorModel();
        var serving = Ipw.Core.Summary.SummaryFile.Deserialize("""{ "serving": { "mean_itl_ms": 4.5, "median_itl_ms": 4, "p99_itl_ms": 12 } }""").Serving;
        m.UseRunFigures(serving);
        m.Add(Row(0, null, null)); // a record read back from the run's file: no gaps
        Assert.Contains("ITL 4.5/4.0/12.0 (whole run)", m.LatencyLine());
    }

    [Fact]
    public void A_slow_counter_read_between_its_updates_gives_its_true_power_through_the_counter_model()
    {
        // 100 W on a counter that publishes every 100 ms (as NVML's), read every 30 ms: most reads repeat a stale value.
        var m = new MonitorModel();
        MonitorMetric counter = new("gpu0_energy", "gpu0", MetricKind.Energy, "J") { Clock = Ipw.Core.Measurement.CounterClock.Every(TimeSpan.FromMilliseconds(100)) };
        for (var i = 0; i <= 200; i++)
        {
            var t = i * 0.03;
            m.AddSample(t, counter, 100 * Math.Floor(t / 0.1) * 0.1);
        }
        var power = Assert.Single(m.Charts(MetricKind.Power));
        Assert.True(power.Points.Count >= 4, $"{power.Points.Count} power points");
        Assert.All(power.Points, p => Assert.InRange(p.V, 97, 103));
    }

    [Fact]
    public void Energy_counters_become_power_and_energy_lines_and_a_reset_or_failed_read_leaves_a_gap()
    {
        var m = new MonitorModel();
        MonitorMetric[] metrics =
        [
            new("gpu0_energy", "gpu0", MetricKind.Energy, "J"),
            new("gpu0_power", "gpu0", MetricKind.Power, "W"),
            new("cpu_temp", "cpu", MetricKind.Temperature, "C"),
        ];
        m.AddTelemetry(0, metrics, [100, 50, 40]);
        m.AddTelemetry(1, metrics, [110, 50, double.NaN]);
        m.AddTelemetry(2, metrics, [130, 50, 42]);
        m.AddTelemetry(3, metrics, [5, 50, 43]);   // the counter was reset
        m.AddTelemetry(4, metrics, [15, 50, 44]);

        var power = Assert.Single(m.Charts(MetricKind.Power)); // the gauge gives way to the device's counter
        Assert.Equal("gpu0_energy (counter)", power.Name);
        Assert.Equal([(1.0, 10.0), (2.0, 20.0), (4.0, 10.0)], power.Points);
        var energy = Assert.Single(m.Charts(MetricKind.Energy));
        Assert.Equal([0.0, 10, 30, 30, 40], energy.Points.Select(p => p.V));
        var temperature = Assert.Single(m.Charts(MetricKind.Temperature));
        Assert.Equal([0.0, 2, 3, 4], temperature.Points.Select(p => p.T)); // no point for the failed read
    }

    [Fact]
    public void Eta_and_the_text_view_follow_the_progress()
    {
        var m = new MonitorModel();
        m.Start("openai", "tiny", "ipw", "cpu", "runs/x", total: 10, "sequential", "energy from rapl", [("rapl", "works: energy (powercap)")]);
        m.SetClock(() => TimeSpan.FromSeconds(4));
        m.Add(Row(0, 1, true));
        m.Add(Row(1, 1, true));
        Assert.Equal(TimeSpan.FromSeconds(16), m.Eta);
        var text = m.ToText();
        Assert.Contains("openai · tiny · ipw · cpu · sequential", text);
        Assert.Contains("  rapl: works: energy (powercap)", text);
        Assert.Contains("queries 2/10 (20 %) · errors 0 · elapsed 00:00:04 · eta 00:00:16", text);
    }
}
