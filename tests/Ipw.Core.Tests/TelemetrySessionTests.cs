using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Tests;

public sealed class TelemetrySessionTests
{
    /// <summary>A test double for the session's arithmetic (not a stand-in for any backend): a counter that
    /// grows at exactly <see cref="Rate"/> units per second of the monotonic clock, and a constant gauge.</summary>
    private sealed class LinearCounterSource(double rate) : ITelemetrySource
    {
        public double Rate => rate;
        public int Reads;
        public TelemetryProbe Probe() => new(true, null,
            [new MetricInfo("energy_j", "dev0", MetricKind.Energy, "J"), new MetricInfo("mem", "dev0", MetricKind.Memory, "bytes")],
            [new MissingMetric(MetricKind.Temperature, "no sensor on the test device")], "test-linear");

        public void Read(Span<double> values)
        {
            Reads++;
            values[0] = rate * Stopwatch.GetTimestamp() / Stopwatch.Frequency;
            values[1] = 1000;
        }

        public void Dispose() { }
    }

    [Fact]
    public void Window_delta_of_a_counter_matches_its_rate_times_the_window()
    {
        var source = new LinearCounterSource(rate: 50);
        using var session = new TelemetrySession([("lin", source)], TimeSpan.FromMilliseconds(5));
        var start = session.OpenWindow();
        Thread.Sleep(120);
        var w = session.CloseWindow(start);
        // Edges are sampled at open and close, so the delta matches up to the reads' own duration
        // (a read preempted on a busy machine shifts its value by a few milliseconds of counter).
        var expected = 50 * w.Duration.TotalSeconds;
        Assert.InRange(w.Delta[0], expected * 0.9, expected * 1.1);
        Assert.Equal(1000, w.Mean[1]);
        Assert.Equal(1000, w.Max[1]);
        Assert.True(double.IsNaN(w.Delta[1]));
        Assert.True(source.Reads > 5, "the background sampler should have run");
    }

    [Fact]
    public void Memory_does_not_grow_with_run_length()
    {
        using var session = new TelemetrySession([("lin", new LinearCounterSource(1))], TimeSpan.FromMilliseconds(1));
        for (var i = 0; i < 200; i++) session.CloseWindow(session.OpenWindow());
        Thread.Sleep(50);
        Assert.True(session.BufferedSamples < 100, $"{session.BufferedSamples} samples kept with no window open");
    }

    [Fact]
    public void Probe_reports_are_kept_including_missing_metrics_and_failing_sources()
    {
        using var session = new TelemetrySession([("lin", new LinearCounterSource(1)), ("bad", new ThrowingSource())], TimeSpan.FromMilliseconds(20));
        var lin = session.Reports.Single(r => r.Name == "lin");
        Assert.Contains(lin.Missing, m => m.Kind == MetricKind.Temperature);
        var bad = session.Reports.Single(r => r.Name == "bad");
        Assert.False(bad.Available);
        Assert.Contains("probe failed", bad.Reason);
        Assert.Equal(2, session.Metrics.Count);
    }

    /// <summary>A test double: an energy counter that publishes every 100 ms (1 J a step) and can be read alone, plus
    /// a gauge; counts the full reads and the counter-only reads.</summary>
    private sealed class SteppedCounterSource : ITelemetrySource, ICounterReads
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        public int FullReads, CounterReads;
        public IReadOnlyList<int> Counters => [0];

        public TelemetryProbe Probe() => new(true, null,
            [new MetricInfo("energy_j", "dev0", MetricKind.Energy, "J") { UpdatePeriod = TimeSpan.FromMilliseconds(100) },
             new MetricInfo("power_w", "dev0", MetricKind.Power, "W")], [], "test-stepped");

        private double Joules => Math.Floor(Stopwatch.GetElapsedTime(_start).TotalSeconds * 10);

        public void Read(Span<double> values)
        {
            Interlocked.Increment(ref FullReads);
            values[0] = Joules;
            values[1] = 10;
        }

        public void ReadCounters(Span<double> values)
        {
            Interlocked.Increment(ref CounterReads);
            values[0] = Joules;
        }

        public void Dispose() { }
    }

    [Fact]
    public void A_stepped_counter_that_can_be_read_alone_is_read_every_few_ms_between_samples()
    {
        var source = new SteppedCounterSource();
        var reads = new List<(long T, int Metric, double Value)>();
        using var session = new TelemetrySession([("stepped", source)], TimeSpan.FromMilliseconds(100), start: false);
        session.OnCounterRead = (t, m, v) => reads.Add((t, m, v));
        // A tenth of the 100 ms period, within 5-10 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(10), session.CounterReadInterval);
        session.Start(null);
        Thread.Sleep(600);
        session.Dispose();

        // About 60 counter reads against about 6 full samples; a loaded machine stretches the waits, never to the samples'.
        Assert.True(source.CounterReads >= 3 * source.FullReads, $"{source.CounterReads} counter reads against {source.FullReads} full ones");
        Assert.True(source.CounterReads >= 15, $"{source.CounterReads} counter reads in 600 ms");
        Assert.Equal(source.CounterReads, reads.Count);
        Assert.All(reads, r => Assert.Equal(0, r.Metric));
        Assert.True(reads.Zip(reads.Skip(1)).All(p => p.First.T < p.Second.T && p.First.Value <= p.Second.Value), "reads in order");
        // Each step is seen within a read's spacing: some reads fall inside one period and see the same value.
        Assert.True(reads.Select(r => r.Value).Distinct().Count() < reads.Count, "several reads a step");
    }

    [Fact]
    public void A_source_whose_counters_cannot_be_read_alone_is_only_sampled()
    {
        using var session = new TelemetrySession([("lin", new LinearCounterSource(1))], TimeSpan.FromMilliseconds(20));
        Assert.Null(session.CounterReadInterval);
    }

    private sealed class ThrowingSource : ITelemetrySource
    {
        public TelemetryProbe Probe() => throw new IOException("device vanished");
        public void Read(Span<double> values) { }
        public void Dispose() { }
    }
}
