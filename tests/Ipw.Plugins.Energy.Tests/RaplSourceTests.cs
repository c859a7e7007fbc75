using Ipw.Abstractions;
using Ipw.Core.Telemetry;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>RAPL through a powercap tree laid out as the kernel does, in a temporary folder (the real tree
/// needs RAPL hardware, which these VMs lack).</summary>
public sealed class RaplSourceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ipw-powercap-").FullName;

    private string Domain(string id, string name, long energy, long range = 262_143_328_850)
    {
        var dir = Path.Combine(_root, id.Contains(':', StringComparison.Ordinal) && id.Count(c => c == ':') == 2 ? Path.Combine(id[..id.LastIndexOf(':')], id) : id);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "name"), name + "\n");
        File.WriteAllText(Path.Combine(dir, "energy_uj"), energy + "\n");
        File.WriteAllText(Path.Combine(dir, "max_energy_range_uj"), range + "\n");
        return dir;
    }

    private static void SetEnergy(string domain, long uj) => File.WriteAllText(Path.Combine(domain, "energy_uj"), uj + "\n");

    [Fact]
    public void Package_and_dram_are_read_in_joules_and_psys_is_kept_out_of_the_total()
    {
        var pkg = Domain("intel-rapl:0", "package-0", 1_000_000);
        Domain("intel-rapl:0:0", "core", 500_000);
        var dram = Domain("intel-rapl:0:1", "dram", 2_000_000);
        Domain("intel-rapl:1", "psys", 9_000_000);
        using var source = new RaplSource(_root);
        var probe = source.Probe();
        Assert.True(probe.Available);
        Assert.Equal(["rapl_package0_j", "rapl_dram0_j", "rapl_psys_j"], probe.Metrics.Select(m => m.Name));
        Assert.Equal([true, true, false], probe.Metrics.Select(m => m.Additive));
        var values = new double[3];
        source.Read(values);
        Assert.Equal([1.0, 2.0, 9.0], values);
        SetEnergy(pkg, 4_500_000);
        SetEnergy(dram, 2_250_000);
        source.Read(values);
        Assert.Equal(4.5, values[0]);
        Assert.Equal(2.25, values[1]);
    }

    [Fact]
    public void A_counter_that_wraps_is_unwrapped_with_max_energy_range()
    {
        var pkg = Domain("intel-rapl:0", "package-0", 65_000_000, range: 65_532_610_987 / 1000);
        using var source = new RaplSource(_root);
        source.Probe();
        var values = new double[1];
        source.Read(values);
        Assert.Equal(65.0, values[0]);
        // 65,532,610 µJ is the range: from 65.0 J past the top to 0.4 J is 0.532610 + 0.4 J of energy.
        SetEnergy(pkg, 400_000);
        source.Read(values);
        Assert.Equal(65.532610 + 0.4, values[0], 6);
        SetEnergy(pkg, 1_400_000);
        source.Read(values);
        Assert.Equal(65.532610 + 1.4, values[0], 6);
    }

    [Fact]
    public void A_missing_dram_domain_is_reported_as_missing_with_a_reason()
    {
        Domain("intel-rapl:0", "package-0", 1);
        using var source = new RaplSource(_root);
        var probe = source.Probe();
        Assert.Equal(["rapl_package0_j"], probe.Metrics.Select(m => m.Name));
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Energy && m.Reason.Contains("no DRAM domain"));
    }

    [Fact]
    public void An_unreadable_counter_says_why_and_how_to_grant_access()
    {
        // Root reads any file, so the denial is produced the way the kernel's is seen by .NET: opening fails
        // with access denied (here: energy_uj is a directory, which the open call refuses the same way).
        var pkg = Domain("intel-rapl:0", "package-0", 1);
        File.Delete(Path.Combine(pkg, "energy_uj"));
        Directory.CreateDirectory(Path.Combine(pkg, "energy_uj"));
        using var source = new RaplSource(_root);
        var probe = source.Probe();
        Assert.False(probe.Available);
        Assert.Contains("readable by root only", probe.Reason);
        Assert.Contains("Linux 5.10", probe.Reason);
        Assert.Contains("chmod o+r", probe.Reason);
    }

    [Fact]
    public void No_powercap_tree_is_unavailable_with_the_reason()
    {
        using var source = new RaplSource(Path.Combine(_root, "nope"));
        var probe = source.Probe();
        Assert.False(probe.Available);
        Assert.Contains("no powercap tree", probe.Reason);
    }

    [Fact]
    public void Per_window_energy_comes_from_counter_deltas_and_skips_non_additive_domains()
    {
        var pkg = Domain("intel-rapl:0", "package-0", 0);
        var psys = Domain("intel-rapl:1", "psys", 0);
        using var session = new TelemetrySession([("rapl", new RaplSource(_root))], TimeSpan.FromMilliseconds(10));
        var start = session.OpenWindow();
        SetEnergy(pkg, 3_000_000);
        SetEnergy(psys, 5_000_000);
        Thread.Sleep(30);
        var w = session.CloseWindow(start);
        Assert.Equal(3.0, w.Delta[0], 6);
        Assert.Equal(5.0, w.Delta[1], 6);
        Assert.False(session.Metrics[1].Info.Additive);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
