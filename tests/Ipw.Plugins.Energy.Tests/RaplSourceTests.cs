using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;
using Ipw.Core.Measurement;
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

    // A package that ramps, holds and steps (at most 36 W), a core inside it, DRAM, and psys above them all. With a 10 J
    // range, starting 1 J below the top, the package wraps about every 0.4 s, psys every 0.17 s.
    private static readonly ScriptedDomain[] Machine =
    [
        new("intel-rapl:0", "package-0", new PowerScript((0.4, 12, 36), (0.3, 36, 36), (0.2, 8, 8), (0.3, 8, 30)), LimitW: 30),
        new("intel-rapl:0:0", "core", PowerScript.Constant(15), LimitW: 20),
        new("intel-rapl:0:1", "dram", new PowerScript((0.25, 4, 4), (0.25, 9, 9)), LimitW: 10),
        new("intel-rapl:1", "psys", PowerScript.Constant(60), LimitW: 60),
    ];

    private const long TenJoules = 10_000_000;

    /// <summary>Reads the source every ~2 ms for <paramref name="duration"/>, each read with the moments it began and ended.</summary>
    private static List<(long Before, long After, double[] Values)> ReadFor(RaplSource source, int count, TimeSpan duration)
    {
        var reads = new List<(long, long, double[])>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var values = new double[count];
            var before = Stopwatch.GetTimestamp();
            source.Read(values);
            reads.Add((before, Stopwatch.GetTimestamp(), values));
            Thread.Sleep(2);
        }
        return reads;
    }

    [Fact]
    public void Energy_over_windows_matches_the_scripted_truth_through_several_wraps()
    {
        using var tree = new ScriptedPowercapTree(_root, TenJoules, TenJoules - 1_000_000, Machine);
        using var source = new RaplSource(_root);
        var probe = source.Probe();
        Assert.Equal(["rapl_package0_j", "rapl_dram0_j", "rapl_psys_j"], probe.Metrics.Select(m => m.Name));
        string[] ids = ["intel-rapl:0", "intel-rapl:0:1", "intel-rapl:1"];
        var maxRead = ids.Select((_, m) => double.Parse(probe.Details[$"{probe.Metrics[m].Name}_max_read_interval_s"], CultureInfo.InvariantCulture)).ToArray();
        var reads = ReadFor(source, 3, TimeSpan.FromSeconds(3));
        var end = reads[^1].After;
        Assert.True(tree.Wraps("intel-rapl:0", end) >= 5, $"the package wrapped {tree.Wraps("intel-rapl:0", end)} times");
        Assert.True(tree.Wraps("intel-rapl:0:1", end) >= 2, $"DRAM wrapped {tree.Wraps("intel-rapl:0:1", end)} times");
        Assert.True(tree.Wraps("intel-rapl:1", end) >= 15, $"psys wrapped {tree.Wraps("intel-rapl:1", end)} times");
        double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

        // 1. Unwrapping is exact: between reads it could not unwrap, the source's counter is the energy the tree had
        // published when it was read, to the microjoule, plus one constant.
        var missing = 0;
        for (var m = 0; m < 3; m++)
        {
            HashSet<long>? offsets = null;
            for (var i = 0; i < reads.Count; i++)
            {
                var (before, after, values) = reads[i];
                if (double.IsNaN(values[m]))
                {
                    // Missing only after an interval longer than the counter can be unwrapped over.
                    Assert.True(i > 0 && Seconds(after - reads[i - 1].Before) > maxRead[m], $"{probe.Metrics[m].Name}: read {i} missing");
                    offsets = null;
                    missing++;
                    continue;
                }
                Assert.True(i == 0 || Seconds(before - reads[i - 1].After) <= maxRead[m], $"{probe.Metrics[m].Name}: read {i} taken as known");
                var uj = (long)Math.Round(values[m] * 1e6);
                var possible = tree.SeenBy(before, after).Select(p => uj - p.Uj[tree.IndexOf(ids[m])]).ToHashSet();
                if (offsets is null) offsets = possible; else offsets.IntersectWith(possible);
                Assert.True(offsets.Count > 0, $"{probe.Metrics[m].Name}: read {i} ({values[m]} J) is not the published energy plus the offset of the reads before");
            }
        }

        // 2. Against the script's exact energy between the moments of two reads. A read shows the energy at the tree's last
        // update before it (the writer thread's lag, about 1 ms, as the hardware's), floored to the µJ, taken somewhere
        // within the read: each window edge is off by at most the script's highest power times that lag, plus 1 µJ.
        var maxW = new[] { 0, 2, 3 }.Select(d => Machine[d].Script.MaxWatts).ToArray();
        double Lag(int i)
        {
            var (before, after, _) = reads[i];
            var stamp = before + (after - before) / 2;
            return Seconds(Math.Max(stamp - tree.SeenBy(before, after).Min(p => p.At), after - before));
        }
        var lags = Enumerable.Range(0, reads.Count).Select(Lag).ToArray();
        var worst = new double[3];
        var errors = new List<double>();
        var worstShare = 0.0;
        var windows = 0;
        // Windows of 1, 10, 50 and 250 reads (about 2 ms to 0.6 s) and the whole run.
        foreach (var span in new[] { 1, 10, 50, 250, reads.Count - 1 })
        {
            for (var a = 0; a + span < reads.Count; a += Math.Max(1, span / 2))
            {
                var b = a + span;
                long Stamp(int i) => reads[i].Before + (reads[i].After - reads[i].Before) / 2;
                for (var m = 0; m < 3; m++)
                {
                    // A window over a missing read is unknown: never checked as if known.
                    if (reads.Skip(a).Take(span + 1).Any(r => double.IsNaN(r.Values[m]))) continue;
                    var error = Math.Abs(reads[b].Values[m] - reads[a].Values[m] - tree.Truth(ids[m], Stamp(a), Stamp(b)));
                    var tolerance = maxW[m] * (lags[a] + lags[b]) + 2e-6;
                    worst[m] = Math.Max(worst[m], error);
                    errors.Add(error);
                    worstShare = Math.Max(worstShare, error / tolerance);
                    Assert.True(error <= tolerance, $"{probe.Metrics[m].Name}, reads {a}..{b}: off by {error * 1e3:0.###} mJ (tolerance {tolerance * 1e3:0.###} mJ)");
                    windows++;
                }
            }
        }
        Assert.True(windows > 1000, $"{windows} windows checked");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rapl truth: {reads.Count} reads ({missing} missing), {windows} windows; median error {errors.Order().ElementAt(errors.Count / 2) * 1e3:0.###} mJ, worst package {worst[0] * 1e3:0.###} mJ, dram {worst[1] * 1e3:0.###} mJ, "
            + $"psys {worst[2] * 1e3:0.###} mJ, at most {worstShare:P1} of the tolerance; median lag {lags.Order().ElementAt(lags.Length / 2) * 1e3:0.###} ms, "
            + $"longest writer gap {tree.LongestGap.TotalMilliseconds:0.###} ms; package {reads[^1].Values[0] - reads[0].Values[0]:0.###} J through {tree.Wraps("intel-rapl:0", end)} wraps, "
            + $"psys through {tree.Wraps("intel-rapl:1", end)}"));
    }

    [Fact]
    public void Through_a_session_window_psys_stays_out_of_the_additive_total_and_the_core_is_not_read()
    {
        using var tree = new ScriptedPowercapTree(_root, TenJoules, TenJoules - 1_000_000, Machine);
        using var session = new TelemetrySession([("rapl", new RaplSource(_root))], TimeSpan.FromMilliseconds(5));
        Assert.Equal(["rapl_package0_j", "rapl_dram0_j", "rapl_psys_j"], session.Metrics.Select(m => m.Info.Name));
        var start = session.OpenWindow();
        Thread.Sleep(1200);
        var w = session.CloseWindow(start);
        var additive = session.Metrics.Where(m => m.Info.Additive).Sum(m => w.Delta[m.Index]);
        var truth = tree.Truth("intel-rapl:0", w.Start, w.End) + tree.Truth("intel-rapl:0:1", w.Start, w.End);
        // Each edge lags by at most the writer's longest gap, plus a few ms for a read descheduled half-way; psys (60 W,
        // 72 J here) counted in would be far outside.
        var lag = tree.LongestGap.TotalSeconds + 0.005;
        Assert.True(Math.Abs(additive - truth) <= 2 * 45 * lag + 4e-6, $"package + DRAM {additive:0.######} J, truth {truth:0.######} J");
        Assert.Equal(tree.Truth("intel-rapl:1", w.Start, w.End), w.Delta[2], 2 * 60 * lag + 2e-6);
        Assert.True(tree.Wraps("intel-rapl:0", w.End) >= 2);
    }

    [Fact]
    public void A_read_further_apart_than_the_range_allows_is_missing_and_noted_and_the_reads_after_it_count_on()
    {
        // 40 W through a 5 J range wraps every 125 ms. The package declares 30 W (37.5 W short-term): the source takes
        // 75 W as the most it draws, so reads more than 5 J / 75 W = 66.7 ms apart may hide a second wrap.
        using var tree = new ScriptedPowercapTree(_root, 5_000_000, 0, new ScriptedDomain("intel-rapl:0", "package-0", PowerScript.Constant(40), LimitW: 30));
        using var source = new RaplSource(_root);
        var probe = source.Probe();
        Assert.Equal("0.067", probe.Details["rapl_package0_j_max_read_interval_s"]);
        var track = new CounterTrack(null);
        (long T, double V) Read()
        {
            var v = new double[1];
            source.Read(v);
            var t = Stopwatch.GetTimestamp();
            track.Add(t, v[0]);
            return (t, v[0]);
        }
        var first = Read();
        Assert.False(double.IsNaN(first.V));
        Thread.Sleep(600); // 24 J: the counter wraps four or five times before the next read
        var late = Read();
        Assert.True(double.IsNaN(late.V), $"a read {Stopwatch.GetElapsedTime(first.T, late.T).TotalMilliseconds:0} ms after the last was taken as {late.V} J");
        var note = Assert.Single(source.Notes);
        Assert.Contains("rapl_package0_j", note);
        Assert.Contains("longer than the 0.067 s", note);
        Assert.Contains("energy over that interval is unknown", note);

        // The reads after it unwrap again (two close reads, retried if this machine descheduled the test for longer).
        (long T, double V) a = default, b = default;
        for (var tries = 0; tries < 20 && (tries == 0 || double.IsNaN(a.V) || double.IsNaN(b.V)); tries++)
        {
            a = Read();
            Thread.Sleep(5);
            b = Read();
        }
        Assert.False(double.IsNaN(a.V) || double.IsNaN(b.V));
        Assert.Equal(tree.Truth("intel-rapl:0", a.T, b.T), b.V - a.V, 2 * 40 * (tree.LongestGap.TotalSeconds + 0.001) + 2e-6);
        // Whoever reads the counter sees the interval across the missing read as a gap, not as energy.
        Assert.True(track.GapIn(first.T, b.T));
    }

    [Fact]
    public void Counters_are_current_at_read_time_and_the_probe_says_how_often_they_update()
    {
        using (var tree = new ScriptedPowercapTree(_root, TenJoules, 0, Machine))
        using (var source = new RaplSource(_root))
        {
            var probe = source.Probe();
            Assert.All(probe.Metrics, m => Assert.Null(m.UpdatePeriod));
            Assert.All(probe.Metrics, m => Assert.False(m.UpdatePeriodUnknown));
            // The scripted counters move about every millisecond (more when this machine is busy).
            var interval = double.Parse(probe.Details["update_interval_ms"], CultureInfo.InvariantCulture);
            Assert.InRange(interval, 0.5, 12.5);
            // 10 J over twice the declared short-term limit: 37.5 W → 0.133 s; DRAM 12.5 W → 0.4 s; psys 75 W → 0.067 s.
            Assert.Equal("0.133", probe.Details["rapl_package0_j_max_read_interval_s"]);
            Assert.Equal("0.4", probe.Details["rapl_dram0_j_max_read_interval_s"]);
            Assert.Equal("0.067", probe.Details["rapl_psys_j_max_read_interval_s"]);
        }
        Directory.Delete(_root, recursive: true);
        Directory.CreateDirectory(_root);

        // A still counter and no declared limits (as AMD's tree has none): the interval is not seen, and 1 kW is assumed.
        Domain("intel-rapl:0", "package-0", 1, range: 65_532_610_987);
        using var still = new RaplSource(_root);
        var details = still.Probe().Details;
        Assert.StartsWith("not seen", details["update_interval_ms"]);
        Assert.Equal("65.533", details["rapl_package0_j_max_read_interval_s"]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
