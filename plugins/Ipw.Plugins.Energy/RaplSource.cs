using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Ipw.Plugins.Energy;

/// <summary>
/// RAPL energy counters from the Linux powercap tree (Intel and AMD): per socket the package and,
/// where present, DRAM domains, which do not overlap and add up; psys (the whole SoC/platform) is
/// recorded too but marked non-additive, since it contains the others. Counters are unwrapped at
/// <c>max_energy_range_uj</c>. The tree's root is <c>$IPW_POWERCAP_ROOT</c> or /sys/class/powercap.
/// <para>A read can unwrap the counter only once: reads further apart than the time the domain needs to run through
/// its whole range may hide a second wrap. That time is the range over the most the domain can draw, taken as twice
/// its largest declared power limit (<c>constraint_N_power_limit_uw</c>, <c>constraint_N_max_power_uw</c>), or
/// <see cref="UndeclaredPowerBoundW"/> where it declares none (AMD). A read after a longer interval is missing (NaN,
/// so the interval is a gap to whoever reads the counter, never a guess) and noted; the probe's details give each
/// counter's longest safe read interval.</para>
/// <para>The counters are current at read time (the hardware updates them about every millisecond), so no update period
/// is declared; the interval seen while probing is in the details.</para>
/// </summary>
internal sealed class RaplSource : ITelemetrySource, ITelemetryNotes
{
    public const string RootVariable = "IPW_POWERCAP_ROOT";

    /// <summary>The power bound of a domain that declares no limit: above what any one socket draws for long.</summary>
    internal const double UndeclaredPowerBoundW = 1000;

    /// <summary>How long the probe polls a counter to see its update interval.</summary>
    private static readonly TimeSpan LearnFor = TimeSpan.FromMilliseconds(25);

    private readonly string _root;
    private readonly List<Counter> _counters = [];
    private readonly List<string> _notes = [];
    private readonly Lock _lock = new();

    public RaplSource(string? root = null) =>
        _root = root ?? (Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } r ? r : "/sys/class/powercap");

    internal static string PermissionReason(string path) =>
        $"{path} is readable by root only (Linux 5.10 and later restrict RAPL energy counters, CVE-2020-8694); " +
        "run as root, or grant read access: sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj (or a udev rule that does so at boot)";

    public IReadOnlyList<string> Notes
    {
        get { lock (_lock) return [.. _notes]; }
    }

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
        return new TelemetryProbe(true, null, metrics, missing, "counter") { Details = Details() };
    }

    private Dictionary<string, string> Details()
    {
        var interval = LearnUpdateIntervalMs(_counters[0]);
        var details = new Dictionary<string, string>
        {
            ["update_interval_ms"] = interval is { } ms
                ? ms.ToString("0.##", CultureInfo.InvariantCulture)
                : $"not seen ({_counters[0].Name} did not move in {LearnFor.TotalMilliseconds:0} ms of polling)",
        };
        foreach (var c in _counters)
            details[$"{c.Name}_max_read_interval_s"] = double.IsFinite(c.MaxReadSeconds)
                ? c.MaxReadSeconds.ToString("0.###", CultureInfo.InvariantCulture)
                : "unknown (no max_energy_range_uj: a wrap is taken as one)";
        return details;
    }

    /// <summary>Polls a counter briefly: the mean time between the changes seen is its update interval (null when it
    /// changed too few times, e.g. an idle DRAM domain).</summary>
    private static double? LearnUpdateIntervalMs(Counter counter)
    {
        try
        {
            var clock = Stopwatch.StartNew();
            var last = counter.ReadRaw();
            TimeSpan first = TimeSpan.Zero, latest = TimeSpan.Zero;
            var changes = -1;
            while (clock.Elapsed < LearnFor)
            {
                var raw = counter.ReadRaw();
                if (raw == last)
                {
                    Thread.Yield();
                    continue;
                }
                latest = clock.Elapsed;
                if (++changes == 0) first = latest;
                last = raw;
            }
            return changes >= 2 ? (latest - first).TotalMilliseconds / changes : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private void AddCounter(string domain, MetricInfo info, List<MetricInfo> metrics, ref string? denied)
    {
        var energy = Path.Combine(domain, "energy_uj");
        try
        {
            var handle = File.OpenHandle(energy, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var range = ReadLong(Path.Combine(domain, "max_energy_range_uj"));
            var counter = new Counter(info.Name, handle, range, PowerBoundW(domain));
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
        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < _counters.Count; i++)
        {
            var c = _counters[i];
            values[i] = c.ReadJoules(now, out var unsafeGap);
            if (unsafeGap is { } gap && c.UnsafeReads is 1 or 10 or 100 or 1000)
                Note($"{c.Name}: {gap.TotalSeconds:0.###} s between two reads, longer than the {c.MaxReadSeconds:0.###} s in which it can "
                    + $"run through its {c.RangeUj / 1e6:0.###} J range at up to {c.PowerBoundW:0} W, so it may have wrapped more than once: "
                    + $"the energy over that interval is unknown (the read is missing; {c.UnsafeReads} such reads so far)");
        }
    }

    private void Note(string note)
    {
        lock (_lock) _notes.Add(note);
    }

    /// <summary>Twice the largest power limit the domain declares (a margin for bursts above its limits, and for firmware
    /// that does not hold them), or <see cref="UndeclaredPowerBoundW"/> when it declares none.</summary>
    private static double PowerBoundW(string domain)
    {
        double largest = 0;
        try
        {
            foreach (var file in Directory.EnumerateFiles(domain, "constraint_*_uw"))
                if (file.EndsWith("_power_limit_uw", StringComparison.Ordinal) || file.EndsWith("_max_power_uw", StringComparison.Ordinal))
                    largest = Math.Max(largest, ReadLong(file) / 1e6);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No limits to read: the default bound applies.
        }
        return largest > 0 ? 2 * largest : UndeclaredPowerBoundW;
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
    private sealed class Counter(string name, SafeFileHandle handle, long rangeUj, double powerBoundW) : IDisposable
    {
        private readonly byte[] _buffer = new byte[32];
        private long _last = -1, _offset, _lastAt;

        public string Name { get; } = name;
        public long RangeUj { get; } = rangeUj;
        public double PowerBoundW { get; } = powerBoundW;

        /// <summary>The longest interval between reads over which at most one wrap can happen.</summary>
        public double MaxReadSeconds { get; } = rangeUj > 0 ? rangeUj / 1e6 / powerBoundW : double.PositiveInfinity;

        /// <summary>Reads that came too long after the previous one to be unwrapped.</summary>
        public long UnsafeReads { get; private set; }

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

        /// <summary>The unwrapped counter in joules; NaN when the read failed or came more than
        /// <see cref="MaxReadSeconds"/> after the previous good one (<paramref name="unsafeGap"/> says how long).</summary>
        public double ReadJoules(long now, out TimeSpan? unsafeGap)
        {
            unsafeGap = null;
            long raw;
            try { raw = ReadRaw(); }
            catch (IOException) { return double.NaN; }
            if (raw < 0) return double.NaN;
            if (_last >= 0)
            {
                // The counter wrapped (at max_energy_range_uj) since the last read: carry the range over. After a too
                // long interval this is the fewest wraps it can have made; the read is missing, and the reads after it
                // count on from there.
                if (raw < _last) _offset += RangeUj > 0 ? RangeUj : _last;
                var since = Stopwatch.GetElapsedTime(_lastAt, now);
                if (since.TotalSeconds > MaxReadSeconds) unsafeGap = since;
            }
            _last = raw;
            _lastAt = now;
            if (unsafeGap is null) return (_offset + raw) / 1e6;
            UnsafeReads++;
            return double.NaN;
        }

        public void Dispose() => handle.Dispose();
    }
}
