using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary>Per-query energy through the real binary, from a RAPL counter in a powercap tree that the test
/// drives at a known power (these VMs have no RAPL hardware).</summary>
public sealed class EnergyEndToEndTests : IDisposable
{
    private readonly TempDir _work = new();

    [Fact]
    public void A_profile_records_each_querys_energy_from_the_counter_and_names_the_source()
    {
        const double watts = 10.0;
        IpwProcess.Result r;
        TimeSpan writerGap;
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap"), watts))
        {
            r = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "8", "--max-tokens", "200", "--threads", "1", "--output-dir", "runs",
                "--dataset-option", "subjects=math,chat"], new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = rapl.Root });
            writerGap = rapl.LongestGap;
        }
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("energy from rapl:cpu0", r.Stdout);

        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        foreach (var row in ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray())
        {
            var seconds = row.GetProperty("e2e_latency_s").GetDouble();
            var joules = row.GetProperty("energy_j").GetDouble();
            // The counter moves in ~1 ms steps, and the window's edges are sampled just before the request is sent and
            // just after it completes: within 10 ms of counter time (0.1 J at 10 W) of power x latency, plus however
            // long the test's writer thread was descheduled at worst (the counter lags true time by that much then).
            var slack = watts * (0.010 + 2 * writerGap.TotalSeconds);
            Assert.InRange(joules, watts * seconds - slack, watts * seconds + slack);
            Assert.Equal("rapl:cpu0", row.GetProperty("energy_source").GetString());
            Assert.Equal(JsonValueKind.Null, row.GetProperty("energy_missing_reason").ValueKind);
            Assert.InRange(row.GetProperty("avg_power_w").GetDouble(), Math.Min(watts * 0.8, watts - slack / seconds), Math.Max(watts * 1.2, watts + slack / seconds));
        }
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var energy = summary.RootElement.GetProperty("energy");
        Assert.True(energy.GetProperty("available").GetBoolean());
        Assert.Equal("rapl:cpu0", energy.GetProperty("source").GetString());
        Assert.True(energy.GetProperty("total_j").GetDouble() > 0);
        var raplReport = summary.RootElement.GetProperty("telemetry").GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "rapl");
        Assert.Contains(raplReport.GetProperty("missing").EnumerateArray(), m => m.GetProperty("reason").GetString()!.Contains("no DRAM domain"));
    }

    [Fact]
    public void Without_rapl_the_summary_says_why_for_each_backend_tried()
    {
        var r = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "2", "--max-tokens", "4", "--threads", "1", "--output-dir", "runs"],
            new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = _work.Combine("no-such-tree") });
        Assert.Equal(0, r.ExitCode);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var sources = summary.RootElement.GetProperty("telemetry").GetProperty("sources").EnumerateArray().ToList();
        var rapl = sources.Single(s => s.GetProperty("name").GetString() == "rapl");
        Assert.False(rapl.GetProperty("available").GetBoolean());
        Assert.Contains("no powercap tree", rapl.GetProperty("reason").GetString());
        Assert.Contains("rapl: no powercap tree", summary.RootElement.GetProperty("energy").GetProperty("reason").GetString());
    }

    public void Dispose() => _work.Dispose();
}
