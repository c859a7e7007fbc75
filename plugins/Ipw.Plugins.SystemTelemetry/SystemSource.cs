using Ipw.Abstractions;

namespace Ipw.Plugins.SystemTelemetry;

/// <summary>
/// Process and system CPU time and memory from /proc, and temperatures from thermal zones.
/// Always available on Linux; it has no energy or power reading.
/// </summary>
internal sealed class SystemSource : ITelemetrySource
{
    // The kernel's USER_HZ, the unit of /proc/stat times, is 100 on every Linux ABI.
    private const double UserHz = 100.0;
    private readonly List<ProcFile> _files = [];
    private readonly List<Func<double>> _readers = [];
    private readonly List<MetricInfo> _metrics = [];
    private readonly List<MissingMetric> _missing = [];

    public TelemetryProbe Probe()
    {
        if (!OperatingSystem.IsLinux())
            return new TelemetryProbe(false, "reads /proc, which only Linux has", [], [], "procfs");

        // getrusage (through Environment.CpuUsage) sums every thread of the process with the scheduler's
        // nanosecond accounting; /proc/self/stat counts in 10 ms ticks and /proc/self/schedstat covers the main thread only.
        Add(new MetricInfo("process_cpu_s", "process", MetricKind.CpuTime, "s"), () => Environment.CpuUsage.TotalTime.TotalSeconds);

        var statm = Open("/proc/self/statm");
        if (statm is not null)
            Add(new MetricInfo("process_rss_bytes", "process", MetricKind.Memory, "bytes"), () => Positive(ProcParse.Field(statm.Read(), 1), Environment.SystemPageSize));

        var stat = Open("/proc/stat");
        if (stat is not null)
            Add(new MetricInfo("system_cpu_busy_s", "system", MetricKind.CpuTime, "s"), () => SystemBusyTicks(ProcParse.FirstLine(stat.Read())) / UserHz);

        var meminfo = Open("/proc/meminfo");
        if (meminfo is not null)
            Add(new MetricInfo("system_memory_used_bytes", "system", MetricKind.Memory, "bytes"), () => MemoryUsed(meminfo.Read()));

        AddThermalZones();

        const string noEnergy = "/proc has no energy counter; energy backends such as NVML or RAPL provide one";
        _missing.Add(new MissingMetric(MetricKind.Energy, noEnergy));
        _missing.Add(new MissingMetric(MetricKind.Power, "/proc has no power reading"));
        if (!_metrics.Any(m => m.Kind == MetricKind.Temperature))
            _missing.Add(new MissingMetric(MetricKind.Temperature, "no readable thermal zone under /sys/class/thermal"));

        return _metrics.Count == 0
            ? new TelemetryProbe(false, "no readable file under /proc", [], _missing, "procfs")
            : new TelemetryProbe(true, null, _metrics, _missing, "procfs");
    }

    public void Read(Span<double> values)
    {
        for (var i = 0; i < _readers.Count; i++)
        {
            try
            {
                values[i] = _readers[i]();
            }
            catch (IOException)
            {
                values[i] = double.NaN;
            }
        }
    }

    private void AddThermalZones()
    {
        const string root = "/sys/class/thermal";
        if (!Directory.Exists(root)) return;
        foreach (var zone in Directory.EnumerateDirectories(root, "thermal_zone*").Order(StringComparer.Ordinal))
        {
            var temp = Open(Path.Combine(zone, "temp"));
            if (temp is null) continue;
            var type = File.Exists(Path.Combine(zone, "type")) ? File.ReadAllText(Path.Combine(zone, "type")).Trim() : Path.GetFileName(zone);
            Add(new MetricInfo($"temperature_c_{Path.GetFileName(zone)}", type, MetricKind.Temperature, "C"),
                () => Positive(ProcParse.Number(ProcParse.FirstLine(temp.Read())), 1e-3));
        }
    }

    private ProcFile? Open(string path)
    {
        var file = ProcFile.TryOpen(path);
        if (file is not null) _files.Add(file);
        return file;
    }

    private void Add(MetricInfo info, Func<double> read)
    {
        _metrics.Add(info);
        _readers.Add(read);
    }

    private static double Positive(long value, double scale) => value < 0 ? double.NaN : value * scale;

    /// <summary>Busy ticks from the "cpu" line of /proc/stat: everything but idle and iowait.</summary>
    internal static double SystemBusyTicks(ReadOnlySpan<byte> cpuLine)
    {
        // cpu user nice system idle iowait irq softirq steal
        long busy = 0;
        int[] busyFields = [1, 2, 3, 6, 7, 8];
        foreach (var f in busyFields)
        {
            var v = ProcParse.Field(cpuLine, f);
            if (v < 0) return f >= 8 ? busy : double.NaN; // steal is absent on very old kernels
            busy += v;
        }
        return busy;
    }

    internal static double MemoryUsed(ReadOnlySpan<byte> meminfo)
    {
        var total = ProcParse.KeyedValue(meminfo, "MemTotal:"u8);
        var available = ProcParse.KeyedValue(meminfo, "MemAvailable:"u8);
        return total < 0 || available < 0 ? double.NaN : (total - available) * 1024.0;
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
