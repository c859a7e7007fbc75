using Ipw.Abstractions;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>powermetrics exists on macOS only: these tests run the parser on plist documents shaped like its
/// output, and the source against a stand-in executable that prints such documents (NUL-separated) at the
/// requested interval, so the subprocess path is the real one.</summary>
public sealed class PowermetricsSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ipw-powermetrics-").FullName;

    private static string Document(long elapsedNs, double cpuMw, double gpuMw, double? aneMw) => $"""
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
            <key>cpu_power</key><real>{cpuMw}</real>
            <key>gpu_power</key><real>{gpuMw}</real>
            {(aneMw is { } a ? $"<key>ane_power</key><real>{a}</real>" : "")}
            <key>combined_power</key><real>{cpuMw + gpuMw + (aneMw ?? 0)}</real>
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
