using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Measurement;
using Ipw.Core.Records;

namespace Ipw.Core.Energy;

/// <summary>
/// Gives every record its final active energy when the run closes. While the run goes on, a record is written with
/// the idle power of the window before the run (the only one known); the window after it is measured last. The
/// finaliser keeps, for each record in the order the run store appended them, what the final value needs (the share,
/// its idle-equivalent seconds and their mean time, 28 bytes a record), then computes each active energy with the idle
/// power interpolated between the two windows (<see cref="IdleSummary.At"/>), its uncertainty, and the baseline's
/// flags, and rewrites those columns of the data file as the run store compacts it at close. A run killed before it
/// closes keeps the values written live (summary.json says whether the energy was finalised).
/// </summary>
public sealed class ActiveEnergyFinaliser
{
    private readonly List<Entry> _entries = [];
    private double[] _active = [], _error = [];
    private IReadOnlyList<string> _flags = [];
    private int _rewritten;

    /// <summary>Records noted so far (with or without energy).</summary>
    public int Count => _entries.Count;

    /// <summary>Whether <see cref="Close"/> has computed the final values.</summary>
    public bool Closed { get; private set; }

    /// <summary>Notes the record appended next: its attributed energy, or null when it has none.</summary>
    public void Add(AttributedEnergy? e)
    {
        if (Closed) throw new InvalidOperationException("the run's energy is already final");
        _entries.Add(e is null || double.IsNaN(e.ShareJ)
            ? new Entry(double.NaN, 0, 0, 0, 0)
            : new Entry(e.ShareJ, e.ShareSeconds, e.WindowSeconds, e.ShareMidT, e.CounterPeriodS));
    }

    /// <summary>Computes every record's final active energy against <paramref name="idle"/>; returns the final values
    /// of the records that have one, in order.</summary>
    public IReadOnlyList<double> Close(IdleSummary idle)
    {
        Closed = true;
        _active = new double[_entries.Count];
        _error = new double[_entries.Count];
        _flags = idle.Flags;
        var finals = new List<double>(_entries.Count);
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            _active[i] = _error[i] = double.NaN;
            if (double.IsNaN(e.ShareJ) || ActiveEnergy.Of(e.ShareJ, e.ShareSeconds, idle.At(e.MidT)) is not { } active) continue;
            _active[i] = active;
            if (idle.LevelUncertaintyW is { } level)
                _error[i] = ActiveEnergy.ErrorOf(active, e.WindowSeconds, e.ShareSeconds, e.PeriodS, level, idle.SigmaW);
            finals.Add(active);
        }
        return finals;
    }

    /// <summary>The baseline's flags every record with energy now carries.</summary>
    public IReadOnlyList<string> Flags => _flags;

    /// <summary>One batch of the data file, in order, with its final active energy, uncertainty and quality flags.</summary>
    public RecordBatch Rewrite(RecordBatch batch)
    {
        if (!Closed) return batch;
        var rows = new List<QueryRecord>(batch.Length);
        var quality = (StringArray)batch.Column(RecordColumns.EnergyQuality.Name);
        for (var i = 0; i < batch.Length; i++, _rewritten++)
        {
            if (_rewritten >= _entries.Count) throw new InvalidOperationException($"the data file holds more rows than the {_entries.Count} records noted");
            var active = _active[_rewritten];
            var error = _error[_rewritten];
            rows.Add(QueryRecord.Of(
                RecordColumns.ActiveEnergyJ.With(double.IsNaN(active) ? null : active),
                RecordColumns.ActiveEnergyJErr.With(double.IsNaN(error) ? null : error),
                RecordColumns.EnergyQuality.With(Quality(quality.GetString(i), double.IsNaN(active)))));
        }
        return Runs.RecordSchema.ReplaceColumns(batch, rows, [RecordColumns.ActiveEnergyJ, RecordColumns.ActiveEnergyJErr, RecordColumns.EnergyQuality]);
    }

    private string? Quality(string? live, bool noActive)
    {
        if (live is null || noActive || _flags.Count == 0) return live;
        var flags = live == "ok" ? new List<string>() : [.. live.Split(',')];
        foreach (var f in _flags)
            if (!flags.Contains(f)) flags.Add(f);
        return string.Join(",", flags);
    }

    private readonly record struct Entry(double ShareJ, double ShareSeconds, double WindowSeconds, long MidT, double PeriodS);
}
