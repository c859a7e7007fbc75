using System.Diagnostics;
using System.Text;

namespace Ipw.Cli.Tests;

/// <summary>
/// A powercap tree in a temporary folder whose package counter rises at a constant power, rewritten in
/// place every millisecond by a dedicated thread, as the kernel updates its file (these VMs have no RAPL).
/// Writes are fixed-width, so a reader never sees half a number.
/// With <c>wattsPerBusyCpu</c>, the counter also rises with the machine's busy CPU time read from /proc/stat, the way a
/// real package counter follows the cores' activity, so a compute load shows up in it.
/// </summary>
public sealed class FakeRaplCounter : IDisposable
{
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly ManualResetEventSlim _running = new();

    public string Root { get; }

    /// <summary>The longest time between two writes of the counter so far: on a loaded machine the writer
    /// thread can be descheduled, and the counter then lags true time by up to this much.</summary>
    public TimeSpan LongestGap => TimeSpan.FromTicks(Interlocked.Read(ref _longestGapTicks));

    private long _longestGapTicks;

    public FakeRaplCounter(string root, double watts, double wattsPerBusyCpu = 0)
    {
        Root = root;
        var pkg = Path.Combine(root, "intel-rapl:0");
        Directory.CreateDirectory(pkg);
        File.WriteAllText(Path.Combine(pkg, "name"), "package-0\n");
        File.WriteAllText(Path.Combine(pkg, "max_energy_range_uj"), "262143328850\n");
        File.WriteAllText(Path.Combine(pkg, "energy_uj"), "000000000000000\n");
        _thread = new Thread(() =>
        {
            var clock = Stopwatch.StartNew();
            using var file = new FileStream(Path.Combine(pkg, "energy_uj"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            var last = TimeSpan.Zero;
            var busyAtStart = wattsPerBusyCpu > 0 ? BusyCpuSeconds() : 0;
            var busy = 0.0;
            var iteration = 0;
            while (!_stop.IsCancellationRequested)
            {
                var now = clock.Elapsed;
                if (wattsPerBusyCpu > 0 && iteration++ % 10 == 0) busy = BusyCpuSeconds() - busyAtStart;
                var text = Encoding.ASCII.GetBytes(((long)((now.TotalSeconds * watts + busy * wattsPerBusyCpu) * 1e6)).ToString("D15") + "\n");
                RandomAccess.Write(file.SafeFileHandle, text, 0);
                if (last != TimeSpan.Zero && (now - last).Ticks > Interlocked.Read(ref _longestGapTicks))
                    Interlocked.Exchange(ref _longestGapTicks, (now - last).Ticks);
                last = now;
                _running.Set();
                Thread.Sleep(1);
            }
        })
        { IsBackground = true, Name = "fake-rapl" };
        _thread.Start();
        _running.Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>The machine's busy CPU time (user, nice, system, irq, softirq, steal), in seconds at USER_HZ = 100.</summary>
    private static double BusyCpuSeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => i < fields.Length ? long.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / 100.0;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
        _running.Dispose();
    }
}
