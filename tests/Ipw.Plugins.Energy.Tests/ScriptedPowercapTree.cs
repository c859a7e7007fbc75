using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>One update of a <see cref="ScriptedPowercapTree"/>'s counters.</summary>
/// <param name="At">The moment whose energy was written (Stopwatch ticks).</param>
/// <param name="Written">When the last counter's write had completed.</param>
/// <param name="Uj">Each domain's energy since the start, in µJ as written (before wrapping), in the order given.</param>
public readonly record struct Publication(long At, long Written, long[] Uj);

/// <summary>One domain of a <see cref="ScriptedPowercapTree"/>.</summary>
/// <param name="Id">The kernel's name for it: "intel-rapl:0" (a package or psys), "intel-rapl:0:1" (a subdomain, placed
/// under its parent).</param>
/// <param name="Name">What its name file says: "package-0", "core", "dram", "psys".</param>
/// <param name="Script">The power it draws.</param>
/// <param name="LimitW">Its long-term power limit, when it declares limits (the short-term one is 1.25 times that).</param>
public sealed record ScriptedDomain(string Id, string Name, PowerScript Script, double? LimitW = null);

/// <summary>
/// A powercap tree shaped as the kernel lays it out (name, energy_uj, max_energy_range_uj, enabled, constraint files),
/// whose counters a dedicated thread advances about every millisecond, as the hardware does, from each domain's power
/// script, wrapping at max_energy_range_uj. The exact energy of the script between two moments of the monotonic clock
/// is the truth a reader's deltas are compared with.
/// <para>sysfs builds a fresh, whole value for every read; a regular file is read while it is being written. So each
/// counter is written in place at a fixed width (zero-padded, which every reader of the decimal value accepts), and
/// with ranges up to 10⁷ µJ the value and its newline are one aligned 8-byte word: a reader sees the old value or the
/// new one, never a mix.</para>
/// </summary>
public sealed class ScriptedPowercapTree : IDisposable
{
    private readonly Dictionary<string, (ScriptedDomain Domain, CounterFile File)> _domains = [];
    private readonly List<string> _order = [];
    private readonly List<Publication> _log = [];
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly ManualResetEventSlim _running = new();
    private readonly long _startUj;
    private readonly string _format;
    private long _longestGapTicks;

    public string Root { get; }
    public long RangeUj { get; }

    /// <summary>The moment the scripts start (Stopwatch ticks): energy is counted from here.</summary>
    public long StartTicks { get; }

    /// <summary>The longest time between two updates of the counters so far: a descheduled writer leaves them behind
    /// true time by up to this much (the hardware's own lag is about a millisecond).</summary>
    public TimeSpan LongestGap => TimeSpan.FromTicks(Interlocked.Read(ref _longestGapTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    /// <param name="startUj">Where every counter starts (near the top of the range, it wraps early).</param>
    public ScriptedPowercapTree(string root, long rangeUj, long startUj, params ScriptedDomain[] domains)
    {
        Root = root;
        RangeUj = rangeUj;
        _startUj = startUj % rangeUj;
        _format = "D" + (rangeUj - 1).ToString(CultureInfo.InvariantCulture).Length.ToString(CultureInfo.InvariantCulture);
        foreach (var d in domains)
        {
            var dir = d.Id.Count(c => c == ':') == 2 ? Path.Combine(root, d.Id[..d.Id.LastIndexOf(':')], d.Id) : Path.Combine(root, d.Id);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "name"), d.Name + "\n");
            File.WriteAllText(Path.Combine(dir, "enabled"), "1\n");
            File.WriteAllText(Path.Combine(dir, "max_energy_range_uj"), rangeUj.ToString(CultureInfo.InvariantCulture) + "\n");
            if (d.LimitW is { } limit) WriteConstraints(dir, limit);
            File.WriteAllBytes(Path.Combine(dir, "energy_uj"), Format(0));
            _domains[d.Id] = (d, new CounterFile(Path.Combine(dir, "energy_uj")));
            _order.Add(d.Id);
        }
        StartTicks = Stopwatch.GetTimestamp();
        _thread = new Thread(Run) { IsBackground = true, Name = "scripted-rapl" };
        _thread.Start();
        _running.Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>The long-term and short-term limits, as an Intel package declares them.</summary>
    private static void WriteConstraints(string dir, double limitW)
    {
        string Uw(double w) => ((long)(w * 1e6)).ToString(CultureInfo.InvariantCulture) + "\n";
        File.WriteAllText(Path.Combine(dir, "constraint_0_name"), "long_term\n");
        File.WriteAllText(Path.Combine(dir, "constraint_0_power_limit_uw"), Uw(limitW));
        File.WriteAllText(Path.Combine(dir, "constraint_0_max_power_uw"), Uw(limitW));
        File.WriteAllText(Path.Combine(dir, "constraint_0_time_window_us"), "27983872\n");
        File.WriteAllText(Path.Combine(dir, "constraint_1_name"), "short_term\n");
        File.WriteAllText(Path.Combine(dir, "constraint_1_power_limit_uw"), Uw(limitW * 1.25));
        File.WriteAllText(Path.Combine(dir, "constraint_1_time_window_us"), "2440\n");
    }

    private byte[] Format(long uj) =>
        Encoding.ASCII.GetBytes(((_startUj + uj) % RangeUj).ToString(_format, CultureInfo.InvariantCulture) + "\n");

    private void Run()
    {
        var last = StartTicks;
        while (!_stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = Seconds(now);
            var uj = new long[_order.Count];
            for (var i = 0; i < uj.Length; i++)
            {
                var (domain, file) = _domains[_order[i]];
                uj[i] = (long)Math.Floor(domain.Script.Joules(seconds) * 1e6);
                file.Write(Format(uj[i]));
            }
            lock (_log) _log.Add(new Publication(now, Stopwatch.GetTimestamp(), uj));
            if (now - last > Interlocked.Read(ref _longestGapTicks)) Interlocked.Exchange(ref _longestGapTicks, now - last);
            last = now;
            _running.Set();
            Thread.Sleep(1);
        }
    }

    /// <summary>Seconds of script time at a Stopwatch timestamp.</summary>
    public double Seconds(long ticks) => (double)(ticks - StartTicks) / Stopwatch.Frequency;

    /// <summary>The exact energy a domain drew between two Stopwatch timestamps, in joules.</summary>
    public double Truth(string id, long fromTicks, long toTicks) => _domains[id].Domain.Script.Joules(Seconds(fromTicks), Seconds(toTicks));

    /// <summary>The updates a read taken between <paramref name="before"/> and <paramref name="after"/> may have seen: those
    /// begun before it ended and not yet replaced by a later one completed before it began.</summary>
    public IReadOnlyList<Publication> SeenBy(long before, long after)
    {
        lock (_log)
        {
            var seen = new List<Publication>();
            for (var i = 0; i < _log.Count && _log[i].At < after; i++)
                if (i == _log.Count - 1 || _log[i + 1].Written > before) seen.Add(_log[i]);
            if (_log.Count == 0 || _log[0].Written > before) seen.Add(new Publication(StartTicks, StartTicks, new long[_order.Count]));
            return seen;
        }
    }

    /// <summary>A domain's position among the <see cref="Publication.Uj"/> values.</summary>
    public int IndexOf(string id) => _order.IndexOf(id);

    /// <summary>How many times a domain's counter has wrapped by a Stopwatch timestamp.</summary>
    public long Wraps(string id, long atTicks) =>
        (_startUj + (long)Math.Floor(_domains[id].Domain.Script.Joules(Seconds(atTicks)) * 1e6)) / RangeUj;

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        foreach (var (_, file) in _domains.Values) file.Dispose();
        _stop.Dispose();
        _running.Dispose();
    }

    /// <summary>An energy_uj file kept open for writing in place.</summary>
    private sealed class CounterFile(string path) : IDisposable
    {
        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle =
            File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);

        public void Write(byte[] bytes) => RandomAccess.Write(_handle, bytes, 0);

        public void Dispose() => _handle.Dispose();
    }
}
