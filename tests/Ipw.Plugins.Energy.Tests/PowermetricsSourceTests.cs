using System.Globalization;
using Ipw.Abstractions;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>powermetrics exists on macOS only: these tests run the parser on plist documents shaped like its
/// output, and the source against a stand-in executable that prints such documents (NUL-separated) at the
/// requested interval, so the subprocess path is the real one.</summary>
public sealed class PowermetricsSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ipw-powermetrics-").FullName;

    private static string Document(long elapsedNs, double cpuMw, double? gpuMw, double? aneMw) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
        <plist version="1.0">
        <dict>
          <key>is_delta</key><true/>
          <key>elapsed_ns</key><integer>{elapsedNs}</integer>
          <key>hw_model</key><string>Mac14,2</string>
          <key>processor</key>
          <dict>
            <key>clusters</key><array></array>
            <key>cpu_energy</key><integer>1</integer>
            <key>cpu_power</key><real>{cpuMw.ToString("R", CultureInfo.InvariantCulture)}</real>
            {(gpuMw is { } g ? $"<key>gpu_power</key><real>{g.ToString("R", CultureInfo.InvariantCulture)}</real>" : "")}
            {(aneMw is { } a ? $"<key>ane_power</key><real>{a.ToString("R", CultureInfo.InvariantCulture)}</real>" : "")}
            <key>combined_power</key><real>{(cpuMw + (gpuMw ?? 0) + (aneMw ?? 0)).ToString("R", CultureInfo.InvariantCulture)}</real>
          </dict>
        </dict>
        </plist>
        """;

    [Fact]
    public void A_plist_sample_gives_power_per_domain_and_its_elapsed_time()
    {
        var sample = PowermetricsSource.Parse(Document(100_000_000, 2500, 800, 0))!;
        Assert.Equal(0.1, sample.ElapsedSeconds, 9);
        Assert.Equal([2500.0, 800.0, 0.0], sample.PowerMw.Select(p => p!.Value));
        Assert.Null(PowermetricsSource.Parse("<plist><dict><key>x</key>")); // a broken document is skipped
    }

    [Fact]
    public void Power_is_integrated_over_each_samples_elapsed_time_into_energy()
    {
        // A stand-in powermetrics: 10 documents, 100 ms apart, CPU 2 W and GPU 1 W, no ANE field.
        var docs = string.Concat(Enumerable.Range(0, 10).Select(_ => Document(100_000_000, 2000, 1000, null) + "\0"));
        File.WriteAllText(Path.Combine(_dir, "samples.plist"), docs);
        var script = Path.Combine(_dir, "powermetrics");
        File.WriteAllText(script, $"#!/bin/sh\n# stand-in: prints the recorded samples one by one\npython3 - <<'EOF'\nimport sys, time\nparts = open('{_dir}/samples.plist').read().split('\\0')\nfor p in parts[:-1]:\n    sys.stdout.write(p + '\\0'); sys.stdout.flush(); time.sleep(0.1)\ntime.sleep(30)\nEOF\n");
        Assert.False(OperatingSystem.IsWindows(), "the stand-in is a shell script");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        using var source = new PowermetricsSource(script, requireMacOs: false, intervalMs: 100);
        var probe = source.Probe();
        Assert.True(probe.Available, probe.Reason);
        Assert.Equal(["cpu_energy_j", "cpu_power_w", "gpu_energy_j", "gpu_power_w"], probe.Metrics.Select(m => m.Name));
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Power && m.Reason.Contains("no ane power"));
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Energy && m.Reason.Contains("model-based power integrated"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (source.Samples < 10 && DateTime.UtcNow < deadline) Thread.Sleep(50);
        var values = new double[4];
        source.Read(values);
        Assert.Equal(10, source.Samples);
        Assert.Equal(2.0, values[0], 9); // 2 W x 10 x 0.1 s
        Assert.Equal(2.0, values[1], 9);
        Assert.Equal(1.0, values[2], 9);
    }

    /// <summary>A stand-in powermetrics that prints the documents one by one (NUL-separated, as powermetrics does), each
    /// once the file go-N appears, then stays running as powermetrics does.</summary>
    private string GatedStandIn(IEnumerable<string> documents)
    {
        File.WriteAllText(Path.Combine(_dir, "samples.plist"), string.Concat(documents.Select(d => d + "\0")));
        var script = Path.Combine(_dir, "powermetrics");
        File.WriteAllText(script, $"#!/bin/sh\n# stand-in: prints each recorded sample when the test says so\nexec python3 - <<'EOF'\n"
            + $"import os, sys, time\nparts = open('{_dir}/samples.plist').read().split('\\0')\n"
            + $"for i, p in enumerate(parts[:-1]):\n    while not os.path.exists('{_dir}/go-%d' % i): time.sleep(0.002)\n"
            + "    sys.stdout.write(p + '\\0'); sys.stdout.flush()\ntime.sleep(60)\nEOF\n");
        Assert.False(OperatingSystem.IsWindows(), "the stand-in is a shell script");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private void Release(int document) => File.WriteAllText(Path.Combine(_dir, $"go-{document}"), "");

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline) Thread.Sleep(2);
        Assert.True(condition(), "the stand-in did not deliver in 10 s");
    }

    [Fact]
    public void Energy_from_scripted_samples_is_the_exact_truth_through_drifting_intervals_and_a_dropped_sample_is_missing_not_zero()
    {
        // The power each domain draws; each sample reports its mean over its own elapsed time, as powermetrics does.
        var cpu = new PowerScript((0.25, 1.5, 6), (0.2, 6, 6), (0.15, 0.8, 0.8));
        var gpu = new PowerScript((0.3, 0.2, 0.2), (0.3, 9, 3));
        // Sample lengths: nominally 100 ms, drifting (137.4 ms, 98.8 ms, a late 250 ms). Sample 6 is lost (a document cut
        // off); sample 9 comes without gpu_power.
        long[] elapsedNs = [100_000_000, 100_000_000, 100_000_000, 137_412_345, 100_000_000, 98_765_432, 100_000_000, 100_000_000,
            103_000_000, 100_000_000, 100_000_000, 250_000_000, 100_000_000];
        const int dropped = 6, noGpu = 9;
        var ends = new double[elapsedNs.Length];
        var documents = new List<string>();
        for (var i = 0; i < elapsedNs.Length; i++)
        {
            var from = i == 0 ? 0 : ends[i - 1];
            ends[i] = from + elapsedNs[i] / 1e9;
            var seconds = elapsedNs[i] / 1e9;
            var doc = Document(elapsedNs[i], 1000 * cpu.Joules(from, ends[i]) / seconds, i == noGpu ? null : 1000 * gpu.Joules(from, ends[i]) / seconds, null);
            documents.Add(i == dropped ? doc[..(doc.Length * 3 / 5)] : doc);
        }
        Release(0);
        using var source = new PowermetricsSource(GatedStandIn(documents), requireMacOs: false, intervalMs: 100);
        var probe = source.Probe();
        Assert.True(probe.Available, probe.Reason);
        Assert.Equal(["cpu_energy_j", "cpu_power_w", "gpu_energy_j", "gpu_power_w"], probe.Metrics.Select(m => m.Name));
        // Energy is known at sample ends: its update period is the interval. Power is a gauge.
        Assert.Equal([TimeSpan.FromMilliseconds(100), null, TimeSpan.FromMilliseconds(100), null], probe.Metrics.Select(m => m.UpdatePeriod));

        var reads = new List<double[]>();
        for (var i = 0; i < elapsedNs.Length; i++)
        {
            if (i > 0) Release(i);
            WaitFor(() => source.Documents == i + 1);
            var values = new double[4];
            source.Read(values);
            reads.Add(values);
        }
        var worst = 0.0;
        for (var i = 0; i < reads.Count; i++)
        {
            var from = i == 0 ? 0 : ends[i - 1];
            foreach (var (m, script, lost) in new[] { (0, cpu, i == dropped), (2, gpu, i is dropped or noGpu) })
            {
                if (lost)
                {
                    // The energy over a lost sample is unknown: the read after it says so, and so does the power.
                    Assert.True(double.IsNaN(reads[i][m]), $"read {i}: {probe.Metrics[m].Name} = {reads[i][m]} over a lost sample");
                    Assert.True(double.IsNaN(reads[i][m + 1]));
                    continue;
                }
                // Each sample's energy is the script's exact energy over its own elapsed time (1e-9 J: the mW values
                // are written to the last digit), the first read counting from 0.
                Assert.False(double.IsNaN(reads[i][m]), $"read {i}: {probe.Metrics[m].Name} missing after a good sample");
                var previous = i == 0 ? 0 : reads[i - 1][m];
                if (double.IsNaN(previous)) continue; // a window over a lost sample is unknown
                var error = Math.Abs(reads[i][m] - previous - script.Joules(from, ends[i]));
                worst = Math.Max(worst, error);
                Assert.True(error < 1e-9, $"read {i}: {probe.Metrics[m].Name} off by {error} J");
                Assert.Equal(script.Joules(from, ends[i]) / (ends[i] - from), reads[i][m + 1], 9);
            }
        }
        // What comes after a lost sample counts on from where the known energy stood: the lost joules are not guessed.
        var lostCpu = cpu.Joules(ends[dropped - 1], ends[dropped]);
        Assert.Equal(cpu.Joules(ends[^1]) - lostCpu, reads[^1][0], 9);
        Assert.Equal(gpu.Joules(ends[^1]) - gpu.Joules(ends[dropped - 1], ends[dropped]) - gpu.Joules(ends[noGpu - 1], ends[noGpu]), reads[^1][2], 9);
        Assert.Equal(2, source.Notes.Count);
        Assert.Contains("not a readable sample", source.Notes[0]);
        Assert.Contains("without gpu_power", source.Notes[1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"powermetrics truth: {reads.Count} samples, worst per-sample error {worst:E2} J; cpu {reads[^1][0]:0.######} J known, {lostCpu:0.######} J lost in sample {dropped}"));
    }

    [Fact]
    public void A_powermetrics_that_stops_sending_leaves_energy_missing_not_flat()
    {
        Release(0);
        Release(1);
        using var source = new PowermetricsSource(GatedStandIn([Document(100_000_000, 2000, 1000, null), Document(100_000_000, 2000, 1000, null)]),
            requireMacOs: false, intervalMs: 100);
        Assert.True(source.Probe().Available);
        WaitFor(() => source.Samples == 2);
        var values = new double[4];
        source.Read(values);
        Assert.Equal(0.4, values[0], 9);
        // No sample for more than a second (five intervals, at least 1 s): a flat counter would read as 0 W.
        Thread.Sleep(1200);
        source.Read(values);
        Assert.All(values, v => Assert.True(double.IsNaN(v)));
        Assert.Contains(source.Notes, n => n.Contains("no sample from powermetrics", StringComparison.Ordinal));
    }

    [Fact]
    public void Elsewhere_than_macOS_it_says_so()
    {
        if (OperatingSystem.IsMacOS()) return;
        using var source = new PowermetricsSource("powermetrics", requireMacOs: true, intervalMs: 100);
        var probe = source.Probe();
        Assert.False(probe.Available);
        Assert.Contains("macOS only", probe.Reason);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
