using System.Diagnostics;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Runs;

/// <summary>One telemetry sample of one metric (a row of telemetry.arrow).</summary>
internal sealed record TelemetryRow(double TimeS, string Source, string Device, string Metric, string Unit, double Value, double ReadLatencyS);

/// <summary>Writes every sample to telemetry.arrow in long format, a batch about every second. A failed write (the disk is
/// full) ends the file at its last whole batch and is kept in <see cref="Failure"/> for the run to act on: the sampler and
/// the queries' windows, which call this, never see it. A resumed run's earlier timeline (<paramref name="prior"/>) is
/// copied in first, whole, then deleted.</summary>
internal sealed class TelemetryArrowSink(string path, long runStart, string? prior = null) : ITelemetrySink
{
    private static readonly TableLayout<TelemetryRow> Layout = new(
    [
        new DoubleColumn<TelemetryRow>("t_s", r => r.TimeS),
        new StringColumn<TelemetryRow>("source", r => r.Source),
        new StringColumn<TelemetryRow>("device", r => r.Device),
        new StringColumn<TelemetryRow>("metric", r => r.Metric),
        new StringColumn<TelemetryRow>("unit", r => r.Unit),
        new DoubleColumn<TelemetryRow>("value", r => r.Value),
        new DoubleColumn<TelemetryRow>("read_latency_s", r => r.ReadLatencyS),
    ]);

    private ArrowAppendWriter<TelemetryRow>? _writer;
    private IReadOnlyList<SessionMetric> _metrics = [];
    private readonly List<TelemetryRow> _pending = [];
    private long _lastFlush = Stopwatch.GetTimestamp();

    public void Start(IReadOnlyList<SessionMetric> metrics)
    {
        _metrics = metrics;
        _writer = new ArrowAppendWriter<TelemetryRow>(path, Layout);
        if (prior is null || !File.Exists(prior)) return;
        try
        {
            using (var input = new FileStream(prior, FileMode.Open, FileAccess.Read, FileShare.Read))
            using (var reader = new Apache.Arrow.Ipc.ArrowStreamReader(input))
            {
                foreach (var batch in RecordReader.Batches(reader, prior, "telemetry"))
                    using (batch) _writer.Append(batch);
            }
            File.Delete(prior);
        }
        catch (Exception e) when (e is IOException or UserError)
        {
            // A full disk (kept in Failure), or an earlier timeline that cannot be read: it stays in its own file.
        }
    }

    public void Write(long timestamp, long readTicks, ReadOnlySpan<double> values)
    {
        var t = Stopwatch.GetElapsedTime(runStart, timestamp).TotalSeconds;
        var latency = (double)readTicks / Stopwatch.Frequency;
        for (var i = 0; i < values.Length; i++)
        {
            var m = _metrics[i];
            _pending.Add(new TelemetryRow(t, m.Source, m.Info.Device, m.Info.Name, m.Info.Unit, values[i], latency));
        }
        if (Stopwatch.GetElapsedTime(_lastFlush) >= TimeSpan.FromSeconds(1)) Flush();
    }

    /// <summary>The write that failed, or null.</summary>
    public IOException? Failure => _writer?.Failure;

    private void Flush()
    {
        try
        {
            if (_writer is { Failure: null }) _writer.Append(_pending);
        }
        catch (IOException)
        {
            // Kept in Failure.
        }
        _pending.Clear();
        _lastFlush = Stopwatch.GetTimestamp();
    }

    public void Dispose()
    {
        Flush();
        _writer?.Dispose();
    }
}
