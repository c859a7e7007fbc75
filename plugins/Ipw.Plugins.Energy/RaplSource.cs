using System.Globalization;
using Ipw.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Ipw.Plugins.Energy;

/// <summary>
/// RAPL energy counters from the Linux powercap tree (Intel and AMD): per socket the package and,
/// where present, DRAM domains, which do not overlap and add up; psys (the whole SoC/platform) is
/// recorded too but marked non-additive, since it contains the others. Counters are unwrapped at
/// <c>max_energy_range_uj</c>. The tree's root is <c>$IPW_POWERCAP_ROOT</c> or /sys/class/powercap.
/// </summary>
internal sealed class RaplSource : ITelemetrySource
{
    public const string RootVariable = "IPW_POWERCAP_ROOT";
    private readonly string _root;
    private readonly List<Counter> _counters = [];

    public RaplSource(string? root = null) =>
        _root = root ?? (Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } r ? r : "/sys/class/powercap");

    internal static string PermissionReason(string path) =>
        $"{path} is readable by root only (Linux 5.10 and later restrict RAPL energy counters, CVE-2020-8694); " +
        "run as root, or grant read access: sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj (or a udev rule that does so at boot)";

    public TelemetryProbe Probe()
    {
        if (!Directory.Exists(_root))
            return new TelemetryProbe(false, $"no powercap tree at {_root} (not Linux, or no RAPL driver: a VM usually has none)", [], [], "counter");

        var metrics = new List<MetricInfo>();
        var missing = new List<MissingMetric>();
        var packages = Directory.EnumerateDirectories(_root, "intel-rapl:*")
            .Where(d => Path.GetFileName(d).Count(c => c == ':') == 1)
            .Order(StringComparer.Ordinal).ToList();
        if (packages.Count == 0)
            return new TelemetryProbe(false, $"no RAPL domains under {_root} (intel-rapl:N missing)", [], [], "counter");

        string? denied = null;
        foreach (var domain in packages)
        {
            var name = ReadName(domain);
            if (name is null) continue;
            if (name == "psys")
            {
                AddCounter(domain, new MetricInfo("rapl_psys_j", "psys", MetricKind.Energy, "J") { Additive = false }, metrics, ref denied);
                continue;
            }
            if (!name.StartsWith("package-", StringComparison.Ordinal)) continue;
            var socket = name["package-".Length..];
            AddCounter(domain, new MetricInfo($"rapl_package{socket}_j", $"cpu{socket}", MetricKind.Energy, "J"), metrics, ref denied);
            var dram = Directory.EnumerateDirectories(domain, Path.GetFileName(domain) + ":*").FirstOrDefault(d => ReadName(d) == "dram");
            if (dram is null)
                missing.Add(new MissingMetric(MetricKind.Energy,
                    $"{name} has no DRAM domain (common on client and AMD CPUs): memory energy is not included"));
            else
                AddCounter(dram, new MetricInfo($"rapl_dram{socket}_j", $"dram{socket}", MetricKind.Energy, "J"), metrics, ref denied);
        }

        missing.Add(new MissingMetric(MetricKind.Power, "RAPL has energy counters only: power is energy over time"));
        if (metrics.Count == 0)
            return new TelemetryProbe(false, denied ?? $"no readable RAPL package domain under {_root}", [], missing, "counter");
        if (denied is not null) missing.Add(new MissingMetric(MetricKind.Energy, denied));
        return new TelemetryProbe(true, null, metrics, missing, "counter");
    }

    private void AddCounter(string domain, MetricInfo info, List<MetricInfo> metrics, ref string? denied)
    {
        var energy = Path.Combine(domain, "energy_uj");
        try
        {
            var handle = File.OpenHandle(energy, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var range = ReadLong(Path.Combine(domain, "max_energy_range_uj"));
            var counter = new Counter(handle, range);
            if (counter.ReadRaw() < 0)
            {
                handle.Dispose();
                return;
            }
            _counters.Add(counter);
            metrics.Add(info);
        }
        catch (UnauthorizedAccessException)
        {
            denied ??= PermissionReason(energy);
        }
        catch (IOException)
        {
            // A domain without a readable counter is skipped.
        }
    }

    public void Read(Span<double> values)
    {
        for (var i = 0; i < _counters.Count; i++) values[i] = _counters[i].ReadJoules();
    }

    private static string? ReadName(string domain)
    {
        try { return File.ReadAllText(Path.Combine(domain, "name")).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static long ReadLong(string path)
    {
        try { return long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return -1; }
    }

    public void Dispose()
    {
        foreach (var c in _counters) c.Dispose();
        _counters.Clear();
    }

    /// <summary>One energy_uj file, kept open, unwrapped across wraparounds.</summary>
    private sealed class Counter(SafeFileHandle handle, long range) : IDisposable
    {
        private readonly byte[] _buffer = new byte[32];
        private long _last = -1, _offset;

        public long ReadRaw()
        {
            var n = RandomAccess.Read(handle, _buffer, 0);
            long value = 0;
            var any = false;
            for (var i = 0; i < n && _buffer[i] is >= (byte)'0' and <= (byte)'9'; i++)
            {
                value = value * 10 + (_buffer[i] - '0');
                any = true;
            }
            return any ? value : -1;
        }

        public double ReadJoules()
        {
            long raw;
            try { raw = ReadRaw(); }
            catch (IOException) { return double.NaN; }
            if (raw < 0) return double.NaN;
            // The counter wrapped (at max_energy_range_uj) since the last read: carry the range over.
            if (_last >= 0 && raw < _last) _offset += range > 0 ? range : _last;
            _last = raw;
            return (_offset + raw) / 1e6;
        }

        public void Dispose() => handle.Dispose();
    }
}
