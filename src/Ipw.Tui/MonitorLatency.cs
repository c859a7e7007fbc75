using System.Diagnostics;
using System.Globalization;
using Ipw.Core.Summary;

namespace Ipw.Tui;

/// <summary>
/// The monitor's latency line: TTFT, TPOT and inter-token latency (every gap of every successful query, pooled) as
/// mean, median and p99, through the same <see cref="ServingTally"/> as summary.json's serving section. A finished run's
/// records carry no gaps, so a replay shows its inter-token latency from summary.json. The pooled gaps are sorted when
/// read, under the model's lock: past <see cref="CheapGaps"/> gaps the line is worked out at most once a second, so the
/// pipeline never waits long on the screen.
/// </summary>
internal sealed class MonitorLatency
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    /// <summary>Below this many pooled gaps, merging the new ones in takes well under a millisecond.</summary>
    private const int CheapGaps = 100_000;

    private readonly ServingTally _tally = new();
    private ServingSection? _run;
    private string? _line;
    private long _lineAt;
    private bool _changed;

    public void Add(MonitorRow row)
    {
        _tally.Add(row.Status == "ok", row.InputTokens, row.OutputTokens, row.TtftS, row.TpotS, row.E2eS, row.TokenGapsS.Span);
        _changed = true;
    }

    /// <summary>A finished run's serving figures, for what its records cannot give (the pooled inter-token gaps).</summary>
    public void UseRunFigures(ServingSection? run)
    {
        _run = run;
        _line = null;
    }

    public string Line()
    {
        if (_line is not null && (!_changed || (_tally.ItlS.Count > CheapGaps && Stopwatch.GetElapsedTime(_lineAt) < Refresh))) return _line;
        _changed = false;
        var itl = _tally.ItlS.Count == 0 && _run is { } run
            ? $"ITL {Text(run.MeanItlMs)}/{Text(run.MedianItlMs)}/{Text(run.PercentileMs("itl", 99))} (whole run)"
            : $"ITL {Figures(_tally.ItlS.Mean, _tally.ItlS.Percentile(50), _tally.ItlS.Percentile(99))}";
        _line = $"ms mean/p50/p99: TTFT {Figures(_tally.TtftS)} · TPOT {Figures(_tally.TpotS)} · {itl}";
        _lineAt = Stopwatch.GetTimestamp();
        return _line;
    }

    private static string Figures(Core.Profiling.Distribution<double> d) => Figures(d.Mean, d.Percentile(50), d.Percentile(99));

    /// <summary>Mean, median and p99 given in seconds, shown in ms.</summary>
    private static string Figures(double? mean, double? median, double? p99) => $"{Text(mean * 1000)}/{Text(median * 1000)}/{Text(p99 * 1000)}";

    private static string Text(double? ms) => ms is { } v && double.IsFinite(v) ? v.ToString(v >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) : "—";
}
