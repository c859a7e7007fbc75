using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Plugins.SystemTelemetry;

namespace Ipw.Plugins.SystemTelemetry.Tests;

public sealed class SystemSourceTests
{
    [Fact]
    public void On_linux_it_reads_process_and_system_cpu_and_memory_and_says_it_has_no_energy()
    {
        Assert.True(OperatingSystem.IsLinux(), "these tests read /proc");
        using var source = new SystemSource();
        var probe = source.Probe();
        Assert.True(probe.Available);
        var names = probe.Metrics.Select(m => m.Name).ToList();
        Assert.Contains("process_cpu_s", names);
        Assert.Contains("process_rss_bytes", names);
        Assert.Contains("system_cpu_busy_s", names);
        Assert.Contains("system_memory_used_bytes", names);
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Energy && m.Reason.Contains("no energy counter"));
        Assert.Contains(probe.Missing, m => m.Kind == MetricKind.Power);
    }

    [Fact]
    public void Cpu_time_grows_with_work_and_memory_matches_the_runtime_view()
    {
        using var source = new SystemSource();
        var probe = source.Probe();
        var values = new double[probe.Metrics.Count];
        int Index(string name) => probe.Metrics.Select((m, i) => (m, i)).First(x => x.m.Name == name).i;

        source.Read(values);
        var cpu0 = values[Index("process_cpu_s")];
        var busy0 = values[Index("system_cpu_busy_s")];
        var ticks0 = ProcessTicks();
        // Spin until the kernel's own tick count (/proc/self/stat, 10 ms units) shows 0.3 s of CPU:
        // on a busy machine that takes longer in wall time, but the CPU time is what is compared.
        var sw = Stopwatch.StartNew();
        var x = 0.0;
        while (ProcessTicks() - ticks0 < 0.3 && sw.Elapsed < TimeSpan.FromSeconds(20))
            for (var i = 0; i < 100_000; i++) x += Math.Sqrt(x + i);
        var ticks = ProcessTicks() - ticks0;
        source.Read(values);
        Assert.True(x > 0);
        var spent = values[Index("process_cpu_s")] - cpu0;
        // Both count the same process (every thread); they differ only by tick rounding and the test host's other threads.
        Assert.InRange(spent, ticks - 0.05, ticks + 0.15);
        Assert.True(values[Index("system_cpu_busy_s")] - busy0 >= spent * 0.8, "system busy time must include this process's");

        var rss = values[Index("process_rss_bytes")];
        var expected = Process.GetCurrentProcess().WorkingSet64;
        Assert.InRange(rss, expected * 0.5, expected * 1.5);
        Assert.True(values[Index("system_memory_used_bytes")] > rss);
    }

    /// <summary>utime + stime of this process from /proc/self/stat, in seconds (an independent reading).</summary>
    private static double ProcessTicks()
    {
        var text = File.ReadAllText("/proc/self/stat");
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    [Fact]
    public void Proc_parsers_read_the_kernel_formats()
    {
        Assert.Equal(10 + 20 + 30 + 60 + 70 + 80, SystemSource.SystemBusyTicks("cpu  10 20 30 40 50 60 70 80 0 0"u8));
        Assert.Equal((1000 - 400) * 1024.0, SystemSource.MemoryUsed("MemTotal:        1000 kB\nMemFree:  1 kB\nMemAvailable:     400 kB\n"u8));
        Assert.True(double.IsNaN(SystemSource.MemoryUsed("MemTotal: 5 kB\n"u8)));
        Assert.Equal(42, ProcParse.Field("  7   42 9"u8, 1));
        Assert.Equal(-1, ProcParse.Field("1 2"u8, 5));
    }
}
