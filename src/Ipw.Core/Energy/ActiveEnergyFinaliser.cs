using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Measurement;
using Ipw.Core.Records;

namespace Ipw.Core.Energy;

/// <summary>The records' final energy, in the order they have it: their share (null when a record has none) and active
/// energy.</summary>
public sealed record FinalEnergy(IReadOnlyList<double> Shares, IReadOnlyList<double> Active, FittedRun? Fitted);

/// <summary>
/// Gives every record its final energy when the run closes. While the run goes on, a record is written with the idle
/// power of the window before the run (the only one known) and, under the fitted method, a time-overlap share; the
/// window after the run is measured last, and the fit needs the whole run. The finaliser keeps, for each record in the
/// order the run store appended them, what the final values need (the share, its idle-equivalent seconds and their mean
/// time, the query's times: about 60 bytes a record), then computes each active energy with the idle power interpolated
/// between the two windows (<see cref="IdleSummary.At(long)"/>), under the fitted method each share too
/// (<see cref="FittedAttribution"/>), their uncertainty and the baseline's flags, and rewrites those columns of the data
/// file as the run store compacts it at close. A run killed before it closes keeps the values written live (summary.json
/// says whether the energy was finalised).
/// </summary>
public sealed class ActiveEnergyFinaliser
{
    private readonly List<Entry> _entries = [];
    private double[] _share = [], _active = [], _error = [];
    private IReadOnlyList<double>?[] _shareByDevice = [], _activeByDevice = [];
    private IReadOnlyList<string> _flags = [];
    private int _rewritten, _prior;

    /// <summary>Records noted so far (with or without energy).</summary>
    public int Count => _entries.Count;

    /// <summary>The run's prices: a record's cost and CO2e follow its final energy (null: none priced).</summary>
    public Costs.Pricing? Pricing { get; set; }

    /// <summary>Whether <see cref="Close"/> has computed the final values.</summary>
    public bool Closed { get; private set; }

    /// <summary>The fit, when the fitted method ran; null otherwise.</summary>
    public FittedRun? Fitted { get; private set; }

    /// <summary>Notes that the data file starts with <paramref name="records"/> records kept from before a resumption: their
    /// energy is final as written (each part against its own baselines), so the rewrite passes them over. Called before
    /// the first <see cref="Add"/>.</summary>
    public void KeepPrior(int records)
    {
        if (_entries.Count > 0 || Closed) throw new InvalidOperationException("records kept from before a resumption come first");
        _prior = records;
    }

    /// <summary>Notes the record appended next: its attributed energy, or null when it has none.</summary>
    public void Add(AttributedEnergy? e)
    {
        if (Closed) throw new InvalidOperationException("the run's energy is already final");
        _entries.Add(e is null || double.IsNaN(e.ShareJ)
            ? new Entry(double.NaN, 0, 0, 0, 0, default, [], null)
            : new Entry(e.ShareJ, e.ShareSeconds, e.WindowSeconds, e.ShareMidT, e.CounterPeriodS, e.Times, e.ShareJByCounter, null));
    }

    /// <summary>Computes every record's final energy against <paramref name="idle"/>, fitting the run's power model
    /// when <paramref name="attributor"/> uses the fitted method and a baseline was measured.</summary>
    public FinalEnergy Close(IdleSummary idle, EnergyAttributor? attributor = null)
    {
        Closed = true;
        var n = _entries.Count;
        _share = new double[n];
        _active = new double[n];
        _error = new double[n];
        _shareByDevice = new IReadOnlyList<double>?[n];
        _activeByDevice = new IReadOnlyList<double>?[n];
        _flags = idle.Flags;
        Fitted = attributor is { Method: AttributionMethod.Fitted } a && idle.PowerW is not null ? Fit(a, idle) : null;
        List<double> shares = new(n), finals = new(n);
        for (var i = 0; i < n; i++)
        {
            var e = _entries[i];
            _share[i] = e.ShareJ;
            _active[i] = _error[i] = double.NaN;
            if (double.IsNaN(e.ShareJ)) continue;
            shares.Add(e.ShareJ);
            _shareByDevice[i] = e.ShareByDevice.Count > 0 ? e.ShareByDevice : null;
            // Device by device against each one's own idle power (the fit's own where it ran); the total is their sum.
            var byDevice = e.ActiveByDevice ?? ActiveEnergy.ByDevice(e.ShareByDevice, e.ShareSeconds, c => idle.At(e.MidT, c));
            _activeByDevice[i] = byDevice;
            if ((byDevice is not null ? AttributedEnergy.Total(byDevice) : ActiveEnergy.Of(e.ShareJ, e.ShareSeconds, idle.At(e.MidT))) is not { } active) continue;
            _active[i] = active;
            if (idle.LevelUncertaintyW is { } level)
                _error[i] = ActiveEnergy.ErrorOf(active, e.WindowSeconds, e.ShareSeconds, e.PeriodS, level, idle.SigmaW);
            finals.Add(active);
        }
        return new FinalEnergy(shares, finals, Fitted);
    }

    /// <summary>Replaces the entries' shares with the fitted model's; returns the fit.</summary>
    private FittedRun Fit(EnergyAttributor attributor, IdleSummary idle)
    {
        var index = Enumerable.Range(0, _entries.Count).Where(i => !double.IsNaN(_entries[i].ShareJ)).ToArray();
        var knots = Enumerable.Range(0, attributor.Clocks.Count).Select(attributor.RefinedKnots).ToArray();
        var run = FittedAttribution.Run(knots, (c, t) => idle.At(t, c) ?? 0, index.Select(i => _entries[i].Times).ToArray(),
            attributor.MeasuringFrom, attributor.MeasuredTo);
        for (var k = 0; k < index.Length; k++)
        {
            var e = _entries[index[k]];
            var fitted = run.Queries[k];
            // The share of idle-equivalent seconds that makes ShareJ − P_idle · S the fitted active energy.
            var idleW = idle.At(e.MidT) ?? 0;
            var seconds = idleW > 0 ? (fitted.ShareJ - fitted.ActiveJ) / idleW : e.ShareSeconds;
            _entries[index[k]] = e with
            {
                ShareJ = fitted.ShareJ,
                ShareSeconds = seconds,
                ShareByDevice = fitted.ShareJByCounter,
                ActiveByDevice = fitted.ActiveJByCounter,
            };
        }
        return run;
    }

    /// <summary>The baseline's flags every record with energy now carries.</summary>
    public IReadOnlyList<string> Flags => _flags;

    /// <summary>One batch of the data file, in order, with its final energy, active energy, uncertainty and flags.</summary>
    public RecordBatch Rewrite(RecordBatch batch)
    {
        if (!Closed) return batch;
        if (_prior > 0)
        {
            // The kept records were appended in batches of their own, before any of this part's.
            if (batch.Length > _prior) throw new InvalidOperationException("a batch mixes records kept from before a resumption with new ones");
            _prior -= batch.Length;
            return batch;
        }
        var rows = new List<QueryRecord>(batch.Length);
        var quality = (StringArray)batch.Column(RecordColumns.EnergyQuality.Name);
        var method = (StringArray)batch.Column(RecordColumns.EnergyMethod.Name);
        var input = (Int64Array)batch.Column(RecordColumns.InputTokens.Name);
        var output = (Int64Array)batch.Column(RecordColumns.OutputTokens.Name);
        // Each device's entry keeps its name and average power; its share and active energy become final.
        var devices = Runs.RecordReader.Rows(batch, [RecordColumns.EnergyByDevice]);
        for (var i = 0; i < batch.Length; i++, _rewritten++)
        {
            if (_rewritten >= _entries.Count) throw new InvalidOperationException($"the data file holds more rows than the {_entries.Count} records noted");
            var share = _share[_rewritten];
            var active = _active[_rewritten];
            var error = _error[_rewritten];
            double? energy = double.IsNaN(share) ? null : share;
            rows.Add(QueryRecord.Of(
                RecordColumns.CostUsd.With(Pricing?.Cost(energy, input.GetValue(i), output.GetValue(i))),
                RecordColumns.Co2eG.With(Pricing?.Co2eG(energy)),
                RecordColumns.EnergyJ.With(energy),
                RecordColumns.EnergyByDevice.With(DeviceParts.Rewrite(devices[i].Get(RecordColumns.EnergyByDevice), _shareByDevice[_rewritten], _activeByDevice[_rewritten])),
                RecordColumns.EnergyMethod.With(Fitted is not null && !double.IsNaN(share) ? "fitted" : method.GetString(i)),
                RecordColumns.ActiveEnergyJ.With(double.IsNaN(active) ? null : active),
                RecordColumns.ActiveEnergyJErr.With(double.IsNaN(error) ? null : error),
                RecordColumns.EnergyQuality.With(Quality(quality.GetString(i), double.IsNaN(active)))));
        }
        return Runs.RecordSchema.ReplaceColumns(batch, rows,
            [RecordColumns.EnergyJ, RecordColumns.EnergyByDevice, RecordColumns.EnergyMethod, RecordColumns.ActiveEnergyJ,
                RecordColumns.ActiveEnergyJErr, RecordColumns.EnergyQuality, RecordColumns.CostUsd, RecordColumns.Co2eG]);
    }

    private string? Quality(string? live, bool noActive)
    {
        if (live is null || noActive || _flags.Count == 0) return live;
        var flags = live == "ok" ? new List<string>() : [.. live.Split(',')];
        foreach (var f in _flags)
            if (!flags.Contains(f)) flags.Add(f);
        return string.Join(",", flags);
    }

    /// <param name="ActiveByDevice">The fit's active energy per device; null until the fit gives it.</param>
    private readonly record struct Entry(double ShareJ, double ShareSeconds, double WindowSeconds, long MidT, double PeriodS, QueryTimes Times,
        IReadOnlyList<double> ShareByDevice, IReadOnlyList<double>? ActiveByDevice);
}
