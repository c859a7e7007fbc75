using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Measurement;

namespace Ipw.Core.Telemetry;

/// <summary>One metric the session samples, with the source it came from.</summary>
public sealed record SessionMetric(int Index, string Source, string Method, MetricInfo Info);

/// <summary>What one source offered when the session started (kept for summary.json).</summary>
public sealed record SourceReport(string Name, bool Available, string? Reason, string Method, IReadOnlyList<MetricInfo> Metrics, IReadOnlyList<MissingMetric> Missing)
{
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    /// <summary>The devices the source reads, with their model names.</summary>
    public IReadOnlyList<DeviceInfo> Devices { get; init; } = [];
}

/// <summary>
/// Samples every telemetry source on its own thread, stamping each sample with the monotonic clock
/// at read time, and answers window queries (begin, end) for per-query attribution. Samples are kept
/// only as long as an open window may need them, so memory does not grow with run length; every
/// sample also goes to the timeline sink (telemetry.arrow).
/// </summary>
public sealed class TelemetrySession : IDisposable
{
    private readonly List<(string Name, ITelemetrySource Source, int Offset, int Count)> _sources = [];
    private readonly List<Sample> _samples = [];
    /// <summary>Cumulative metrics (energy, CPU time) through the one counter model; null for gauges.</summary>
    private readonly CounterTrack?[] _counters;
    private readonly Lock _sync = new();
    private readonly SortedList<long, int> _openWindows = []; // start → windows open from it; starts come mostly in order
    private ITelemetrySink? _sink;
    private Thread? _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _interval;
    private long _lastReadTicks;

    public IReadOnlyList<SessionMetric> Metrics { get; }
    public IReadOnlyList<SourceReport> Reports { get; }
    public TimeSpan Interval => _interval;

    /// <summary>Called on the sampler thread with how late each scheduled sample started (for benchmarks).</summary>
    public Action<TimeSpan>? OnLateness { get; set; }

    /// <summary>Called on every sample, under the session's lock, with its stamp and values (e.g. for energy attribution).</summary>
    public Action<long, double[]>? OnSample { get; set; }

    /// <summary>Called, under the session's lock, for each stepped counter read alone between samples (stamp, metric
    /// index, value): see <see cref="ICounterReads"/>. Those reads feed the counters' tracks; the timeline sink sees
    /// only full samples.</summary>
    public Action<long, int, double>? OnCounterRead { get; set; }

    private readonly CounterReads? _counterReads;

    /// <summary>How often stepped counters are read between samples; null when no source can read them alone.</summary>
    public TimeSpan? CounterReadInterval => _counterReads?.Interval;

    /// <summary>Window edges closer than this to the previous sample reuse it instead of reading every source again
    /// (under heavy concurrency edges come thousands a second).</summary>
    public TimeSpan EdgeMinSpacing { get; set; }

    private long _lastSampleAt = long.MinValue;

    /// <summary>Samples taken so far (background and window edges).</summary>
    public long SampleCount { get; private set; }

    /// <summary>Largest single read of all sources, a measure of the harness's own overhead.</summary>
    public TimeSpan MaxReadLatency => Stopwatch.GetElapsedTime(0, _lastReadTicks);

    /// <summary>Probes every source and, unless <paramref name="start"/> is false, starts sampling into <paramref name="sink"/>.</summary>
    public TelemetrySession(IEnumerable<(string Name, ITelemetrySource Source)> sources, TimeSpan interval, ITelemetrySink? sink = null, bool start = true)
    {
        _interval = interval;
        var metrics = new List<SessionMetric>();
        var reports = new List<SourceReport>();
        foreach (var (name, source) in sources)
        {
            TelemetryProbe probe;
            try
            {
                probe = source.Probe();
            }
            catch (Exception e)
            {
                probe = new TelemetryProbe(false, $"probe failed: {e.Message}", [], [], "none");
            }
            reports.Add(new SourceReport(name, probe.Available, probe.Reason, probe.Method, probe.Metrics, probe.Missing) { Details = probe.Details, Devices = probe.Devices });
            if (!probe.Available || probe.Metrics.Count == 0)
            {
                source.Dispose();
                continue;
            }
            _sources.Add((name, source, metrics.Count, probe.Metrics.Count));
            foreach (var m in probe.Metrics) metrics.Add(new SessionMetric(metrics.Count, name, probe.Method, m));
        }
        Metrics = metrics;
        Reports = reports;
        _counters = Metrics.Select(m => m.Info.Kind is MetricKind.Energy or MetricKind.CpuTime
            ? CounterClock.Of(m.Info).Track(Stopwatch.Frequency)
            : null).ToArray();
        _counterReads = _interval > TimeSpan.Zero ? CounterReads.For(_sources.Select(s => (s.Source, s.Offset)), Metrics) : null;
        if (start) Start(sink);
    }

    /// <summary>Starts sampling (once): what the probes found is known before, e.g. to name the run after the GPUs.</summary>
    public void Start(ITelemetrySink? sink)
    {
        if (_thread is not null || _sink is not null) throw new InvalidOperationException("the session has already started");
        _sink = sink;
        _sink?.Start(Metrics);
        if (_sources.Count > 0 && _interval > TimeSpan.Zero)
        {
            SampleNow();
            _thread = new Thread(Run) { IsBackground = true, Name = "ipw-telemetry", Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }
    }

    private void Run()
    {
        var next = Stopwatch.GetTimestamp();
        var step = (long)(_interval.TotalSeconds * Stopwatch.Frequency);
        var dither = new Random();
        while (!_stop.IsCancellationRequested)
        {
            // The interval on average, each one drawn between half and one and a half of it: reads at a fixed interval
            // lock onto a stepped counter's clock and see every step at the same phase; dithered, they see each phase,
            // which places the steps in time (CounterGrid) far better than the reads' spacing.
            next += (long)(step * (0.5 + dither.NextDouble()));
            if (!ReadCountersUntil(next, dither)) break;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero && _stop.Token.WaitHandle.WaitOne(wait)) break;
            OnLateness?.Invoke(Stopwatch.GetElapsedTime(next));
            SampleNow();
            // Fell behind (machine paused or overloaded): skip ahead rather than burst.
            if (Stopwatch.GetTimestamp() - next > step) next = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Reads the stepped counters alone, every <see cref="CounterReadInterval"/> (dithered), until the next full
    /// sample is due at <paramref name="next"/>; false when the session is stopping.</summary>
    private bool ReadCountersUntil(long next, Random dither)
    {
        if (_counterReads is not { } reads) return true;
        while (true)
        {
            var wait = reads.Interval * (0.5 + dither.NextDouble());
            if (Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency) >= next) return true;
            if (_stop.Token.WaitHandle.WaitOne(wait)) return false;
            lock (_sync)
                reads.Read((t, m, v) =>
                {
                    _counters[m]?.Add(t, v);
                    OnCounterRead?.Invoke(t, m, v);
                });
        }
    }

    /// <summary>Reads every source now; used by the sampler and at window edges.</summary>
    public long SampleNow()
    {
        if (_sources.Count == 0) return Stopwatch.GetTimestamp();
        var values = new double[Metrics.Count];
        lock (_sync)
        {
            var before = Stopwatch.GetTimestamp();
            foreach (var (_, source, offset, count) in _sources)
            {
                try
                {
                    source.Read(values.AsSpan(offset, count));
                }
                catch (Exception)
                {
                    values.AsSpan(offset, count).Fill(double.NaN);
                }
            }
            var after = Stopwatch.GetTimestamp();
            // Stamp at the middle of the read; keep the read latency.
            var stamp = before + (after - before) / 2;
            _lastReadTicks = Math.Max(_lastReadTicks, after - before);
            var sample = new Sample(stamp, after - before, values);
            _samples.Add(sample);
            for (var m = 0; m < _counters.Length; m++) _counters[m]?.Add(stamp, values[m]);
            SampleCount++;
            _lastSampleAt = stamp;
            _sink?.Write(sample.Timestamp, sample.ReadTicks, values);
            OnSample?.Invoke(stamp, values);
            Prune();
            return stamp;
        }
    }

    /// <summary>What the named source noticed while sampling (see <see cref="ITelemetryNotes"/>); empty for most sources.</summary>
    public IReadOnlyList<string> Notes(string name)
    {
        lock (_sync)
            return _sources.Where(s => s.Name == name).Select(s => s.Source).OfType<ITelemetryNotes>().SelectMany(n => n.Notes).ToList();
    }

    /// <summary>The most recent sample's values (NaN where a read failed or nothing was sampled yet).</summary>
    public double[] Latest()
    {
        lock (_sync)
        {
            if (_samples.Count == 0) return Enumerable.Repeat(double.NaN, Metrics.Count).ToArray();
            return (double[])_samples[^1].Values.Clone();
        }
    }

    /// <summary>Opens a measurement window now (sampling its edge) and returns its start stamp.</summary>
    public long OpenWindow()
    {
        lock (_sync)
        {
            var start = EdgeSample();
            _openWindows[start] = _openWindows.GetValueOrDefault(start) + 1;
            return start;
        }
    }

    /// <summary>Samples for a window edge, unless the last sample is recent enough to stand for it.</summary>
    private long EdgeSample()
    {
        var now = Stopwatch.GetTimestamp();
        // The recent sample stands for the edge (shifting it by less than the spacing).
        if (_lastSampleAt != long.MinValue && Stopwatch.GetElapsedTime(_lastSampleAt, now) < EdgeMinSpacing) return _lastSampleAt;
        return SampleNow();
    }

    /// <summary>Closes a window: samples its end edge and computes per-metric statistics over [start, end].</summary>
    public WindowStats CloseWindow(long start, long? end = null)
    {
        lock (_sync)
        {
            var stop = end ?? EdgeSample();
            if (end is not null) EdgeSample();
            var stats = Compute(start, stop);
            if (_openWindows.TryGetValue(start, out var n))
            {
                if (n <= 1) _openWindows.Remove(start); else _openWindows[start] = n - 1;
            }
            Prune();
            return stats;
        }
    }

    private WindowStats Compute(long start, long end)
    {
        var count = Metrics.Count;
        var delta = new double[count];
        var mean = new double[count];
        var max = new double[count];
        for (var m = 0; m < count; m++)
        {
            if (_counters[m] is { } counter)
            {
                delta[m] = Known(counter, end) - Known(counter, start);
                mean[m] = max[m] = double.NaN;
            }
            else
            {
                delta[m] = double.NaN;
                double sum = 0, top = double.NegativeInfinity;
                var n = 0;
                foreach (var s in _samples)
                {
                    if (s.Timestamp < start || s.Timestamp > end || double.IsNaN(s.Values[m])) continue;
                    sum += s.Values[m];
                    top = Math.Max(top, s.Values[m]);
                    n++;
                }
                mean[m] = n > 0 ? sum / n : double.NaN;
                max[m] = n > 0 ? top : double.NaN;
            }
        }
        return new WindowStats(start, end, delta, mean, max);
    }

    /// <summary>A counter's value at <paramref name="t"/>, or at the latest time it is known when that is earlier (a counter
    /// with an update period is known only up to its last update): deltas between such values add up exactly over
    /// consecutive windows, and a counter that has not updated yet is never read as a stale value at <paramref name="t"/>.
    /// </summary>
    private static double Known(CounterTrack counter, long t) => counter.Horizon == long.MinValue ? double.NaN : counter.At(Math.Min(t, counter.Horizon));

    /// <summary>Drops samples no open window can need: keeps one before the oldest open start (for interpolation),
    /// or just the newest when no window is open.</summary>
    private void Prune()
    {
        var keepFrom = _openWindows.Count > 0 ? _openWindows.Keys[0] : long.MaxValue;
        var drop = 0;
        while (drop < _samples.Count - 1 && _samples[drop + 1].Timestamp <= keepFrom) drop++;
        if (drop > 64 || (drop > 0 && _openWindows.Count == 0)) _samples.RemoveRange(0, drop);
        foreach (var counter in _counters) counter?.PruneBefore(keepFrom);
    }

    /// <summary>Samples held in memory now (bounded by the longest open window).</summary>
    public int BufferedSamples
    {
        get { lock (_sync) return _samples.Count; }
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        _thread?.Join();
        lock (_sync)
        {
            foreach (var (_, source, _, _) in _sources) source.Dispose();
            _sink?.Dispose();
        }
        _stop.Dispose();
    }

    private sealed record Sample(long Timestamp, long ReadTicks, double[] Values);
}

/// <summary>Per-metric statistics over a window, indexed like <see cref="TelemetrySession.Metrics"/>.
/// Cumulative metrics have <see cref="Delta"/>, read through the one counter model (<see cref="Measurement.CounterTrack"/>,
/// as the energy attributor reads them) up to what each counter is known at; gauges have <see cref="Mean"/> and
/// <see cref="Max"/>. NaN: not measured.</summary>
public sealed record WindowStats(long Start, long End, double[] Delta, double[] Mean, double[] Max)
{
    public TimeSpan Duration => Stopwatch.GetElapsedTime(Start, End);
}

/// <summary>Where the session sends every sample (the run's telemetry.arrow).</summary>
public interface ITelemetrySink : IDisposable
{
    void Start(IReadOnlyList<SessionMetric> metrics);
    void Write(long timestamp, long readTicks, ReadOnlySpan<double> values);
}
