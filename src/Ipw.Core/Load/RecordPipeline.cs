using System.Diagnostics;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;
using Ipw.Core.Profiling;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Summary;

namespace Ipw.Core.Load;

/// <summary>
/// The one consumer of measured queries: waits for each query's energy to be final, makes its record (every stage, in
/// order, on this thread), appends what is ready in one batch and one write, then reports it: an observer sees a
/// record once it is on disk. Not thread-safe: the load driver's consumer loop is its only caller.
/// </summary>
internal sealed class RecordPipeline(RecordAssembler assembler, QueryWindows windows, RunStore run, SummaryState summary, IProfileObserver observer)
{
    private readonly EnergyAttributor? _energy = windows.Energy;
    private readonly List<QueryRecord> _ready = [];
    private readonly List<AttributedEnergy?> _readyEnergy = [];
    private int _done, _errors;
    private long _outputTokens;

    /// <summary>The queries' measurement windows.</summary>
    public QueryWindows Windows => windows;

    /// <summary>Records made but not yet written.</summary>
    public int Ready => _ready.Count;

    /// <summary>Takes a measured query: its record is made now, or once the counters have passed its end.</summary>
    public void Add(MeasuredQuery query)
    {
        if (!windows.Settle(query.Handle, query.End, query.FirstToken, query)) Make(query);
    }

    /// <summary>Makes the records whose energy became final; throws a write into the run folder that failed.</summary>
    public void Advance()
    {
        run.ThrowIfFailed(); // the telemetry file's writer met a full disk: the run stops on it as on its own
        if (_energy is null) return;
        _energy.Advance();
        Drain();
    }

    /// <summary>Ends attribution at <paramref name="end"/> (what the counters do not cover is flagged, never zero) and
    /// makes the records left.</summary>
    public void Finish(long end)
    {
        if (_energy is null) return;
        _energy.Finish(end);
        Drain();
    }

    private void Drain()
    {
        foreach (var (e, tag) in _energy!.Drain())
        {
            summary.Totals.AddEnergyFlags(e.Flags);
            Make((MeasuredQuery)tag! with { Energy = e });
        }
    }

    private void Make(MeasuredQuery query)
    {
        _ready.Add(assembler.Build(query));
        _readyEnergy.Add(query.Energy);
    }

    /// <summary>Writes the ready records in one batch, adds them to the summary and reports each.</summary>
    public void Write(int? planned, long measureStart)
    {
        if (_ready.Count == 0) return;
        run.Append(_ready);
        // In the order appended: the finaliser rewrites the file's rows in that order when the run closes.
        foreach (var e in _readyEnergy) summary.ActiveEnergy.Add(e);
        foreach (var record in _ready)
        {
            summary.Totals.Add(record);
            _done++;
            if (record.Status != "ok") _errors++;
            _outputTokens += record.OutputTokens ?? 0;
            observer.OnQueryCompleted(record, new ProfileProgress(_done, planned, _errors, _outputTokens, Stopwatch.GetElapsedTime(measureStart)));
        }
        _ready.Clear();
        _readyEnergy.Clear();
    }
}
