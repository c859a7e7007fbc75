using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;
using Ipw.Core.Measurement;

namespace Ipw.Tui;

/// <summary>
/// What the run monitor shows, fed by the profile pipeline's events (live) or by a finished run (replay and
/// browse), and read by the views. Events may arrive on any thread; updates take a lock for a few field writes,
/// so the measurement never waits on the screen. Missing values stay missing: a total over records that lack
/// energy is not shown as a number of joules.
/// </summary>
public sealed class MonitorModel
{
    /// <summary>Rows kept for the query table.</summary>
    public const int KeptRows = 2000;

    /// <summary>Chart points kept per series (at one a second, the last hour).</summary>
    public const int KeptPoints = 3600;

    private readonly Lock _lock = new();
    private readonly List<MonitorRow> _rows = [];
    private readonly SortedDictionary<string, int> _errorsByClass = new(StringComparer.Ordinal);
    private readonly MonitorCharts _charts = new();
    private readonly MonitorLatency _latency = new();
    private Func<TimeSpan> _clock = () => TimeSpan.Zero;
    private long _version;

    // Totals.
    private int _done, _errors, _graded, _correct, _energyRows, _powerRows, _gradedWithEnergy, _gradedWithPower;
    private long _outputTokens, _outputTokensWithEnergy;
    private double _joules, _power, _gradedJoules, _gradedPower, _firstSentS = double.NaN, _lastCompletedS;

    public string Client { get; private set; } = "";
    public string Model { get; private set; } = "";
    public string Dataset { get; private set; } = "";
    public string Hardware { get; private set; } = "";
    public string RunPath { get; private set; } = "";
    public string Load { get; private set; } = "";
    public string EnergyStatus { get; private set; } = "";

    /// <summary>Each telemetry source and what it does here ("works: …" or "unavailable: …").</summary>
    public IReadOnlyList<(string Name, string Verdict)> Sources { get; private set; } = [];

    /// <summary>Planned queries, when known.</summary>
    public int? Total { get; private set; }

    /// <summary>What the run is doing: warming up, measuring idle power, sending, paused, stopping, finished.</summary>
    public string Phase { get; private set; } = "starting";

    /// <summary>Set when the run ended: its status and where it was saved.</summary>
    public string? Outcome { get; private set; }

    /// <summary>Bumped on every change, so a view redraws only when something changed.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>The live steps of the agent task followed (<c>--agent</c>).</summary>
    public MonitorSteps Steps { get; } = new();

    /// <summary>Time since measuring started, on the clock the model was given.</summary>
    public TimeSpan Elapsed => _clock();

    /// <summary>Queries completed so far.</summary>
    public int Done { get { lock (_lock) return _done; } }

    /// <summary>Failed queries so far.</summary>
    public int Errors { get { lock (_lock) return _errors; } }

    /// <summary>Failed queries by error class ("timeout", "server", ...).</summary>
    public IReadOnlyList<(string Class, int Count)> ErrorsByClass
    {
        get { lock (_lock) return _errorsByClass.Select(p => (p.Key, p.Value)).ToList(); }
    }

    /// <summary>Estimated time left, once a query completed and the total is known.</summary>
    public TimeSpan? Eta
    {
        get
        {
            var (done, total) = (Done, Total);
            return total is { } t && done > 0 && t > done ? Elapsed / done * (t - done) : null;
        }
    }

    /// <summary>The most recent rows, newest first.</summary>
    public IReadOnlyList<MonitorRow> Recent(int count)
    {
        lock (_lock)
        {
            var n = Math.Min(count, _rows.Count);
            var recent = new MonitorRow[n];
            for (var i = 0; i < n; i++) recent[i] = _rows[_rows.Count - 1 - i];
            return recent;
        }
    }

    /// <summary>The running totals. Energy figures are null until a record carries energy; accuracy until one is graded.</summary>
    public MonitorTotals Totals
    {
        get
        {
            lock (_lock)
            {
                // As in summary.json: one definition (Statistics.Intelligence).
                var f = Statistics.Intelligence(_graded, _correct, _gradedJoules, _gradedWithEnergy, _gradedPower, _gradedWithPower);
                return new MonitorTotals(
                    _done, _errors, _outputTokens,
                    _energyRows > 0 ? _joules : null, _energyRows,
                    _energyRows > 0 && _joules > 0 ? _outputTokensWithEnergy / _joules : null,
                    _powerRows > 0 ? _power / _powerRows : null,
                    _graded, _correct, f.Accuracy, f.PerJoule, f.PerWatt,
                    Elapsed.TotalSeconds > 0 ? _outputTokens / Elapsed.TotalSeconds : null);
            }
        }
    }

    /// <summary>The chart lines of one kind: power (W, from counters where there are some), energy, temperature, memory.</summary>
    public IReadOnlyList<ChartSeries> Charts(MetricKind kind)
    {
        lock (_lock) return _charts.Of(kind);
    }

    /// <summary>Uses <paramref name="clock"/> for elapsed time (a stopwatch live, the replay's position otherwise).</summary>
    public void SetClock(Func<TimeSpan> clock) => _clock = clock;

    public void Start(string client, string model, string dataset, string hardware, string runPath, int? total, string load, string energyStatus,
        IReadOnlyList<(string Name, string Verdict)> sources)
    {
        lock (_lock)
        {
            (Client, Model, Dataset, Hardware, RunPath, Total, Load, EnergyStatus, Sources) =
                (client, model, dataset, hardware, runPath, total, load, energyStatus, sources);
            Phase = "starting";
        }
        Changed();
    }

    public void SetPhase(string phase)
    {
        lock (_lock) Phase = phase;
        Changed();
    }

    public void Add(MonitorRow row)
    {
        lock (_lock)
        {
            _rows.Add(row);
            if (_rows.Count > KeptRows * 2) _rows.RemoveRange(0, _rows.Count - KeptRows);
            _done++;
            if (row.Status != "ok")
            {
                _errors++;
                _errorsByClass[row.Status] = _errorsByClass.GetValueOrDefault(row.Status) + 1;
            }
            _outputTokens += row.OutputTokens ?? 0;
            _latency.Add(row);
            if (row.EnergyJ is { } e && double.IsFinite(e))
            {
                _joules += e;
                _energyRows++;
                _outputTokensWithEnergy += row.OutputTokens ?? 0;
            }
            if (row.AvgPowerW is { } p && double.IsFinite(p))
            {
                _power += p;
                _powerRows++;
            }
            if (row.Correct is { } correct)
            {
                _graded++;
                if (correct) _correct++;
                if (row.EnergyJ is { } ge && double.IsFinite(ge)) { _gradedJoules += ge; _gradedWithEnergy++; }
                if (row.AvgPowerW is { } gp && double.IsFinite(gp)) { _gradedPower += gp; _gradedWithPower++; }
            }
            var sent = row.CompletedAtS - row.E2eS;
            if (double.IsNaN(_firstSentS) || sent < _firstSentS) _firstSentS = sent;
            _lastCompletedS = Math.Max(_lastCompletedS, row.CompletedAtS);
            if (_energyRows > 0) _charts.AddQueriesEnergy(row.CompletedAtS, _joules);
        }
        Changed();
    }

    /// <summary>A telemetry sample at <paramref name="t"/> seconds since the run started. Energy counters become power
    /// lines (the counter's change over about a second) and energy-since-start lines; power, temperature and memory
    /// are charted as read, a power gauge only for a device without a counter. NaN values (failed reads) leave a gap.</summary>
    public void AddTelemetry(double t, IReadOnlyList<MonitorMetric> metrics, ReadOnlySpan<double> values)
    {
        lock (_lock)
        {
            _charts.Declare(metrics);
            for (var i = 0; i < metrics.Count && i < values.Length; i++) _charts.Add(t, metrics[i], values[i]);
        }
        Changed();
    }

    /// <summary>Names the metrics samples will come from (which devices have energy counters).</summary>
    public void DeclareMetrics(IReadOnlyList<MonitorMetric> metrics)
    {
        lock (_lock) _charts.Declare(metrics);
    }

    /// <summary>One metric's sample (for a replay, which reads telemetry.arrow one row at a time).</summary>
    public void AddSample(double t, MonitorMetric metric, double value)
    {
        lock (_lock) _charts.Add(t, metric, value);
        Changed();
    }

    public void Finish(string status, string runPath)
    {
        lock (_lock)
        {
            Outcome = $"{status}: {_done} queries saved in {runPath}";
            Phase = status;
        }
        Changed();
    }

    /// <summary>The monitor as plain text: the header, progress, totals and the last <paramref name="rows"/> queries
    /// (for a terminal that cannot show the TUI).</summary>
    public string ToText(int rows = 10)
    {
        var lines = new List<string>(HeaderLines()) { ProgressLine(), TotalsLine(), LatencyLine(), "" };
        var recent = Recent(rows).ToList();
        var cells = recent.Select(r => Columns.Select(c => c.Cell(r)).ToArray()).ToList();
        // Each column as wide as its widest cell, so long subjects or numbers never push the others out of line; text
        // columns (subject, error) to the left, numbers to the right.
        var widths = Columns.Select((c, i) => cells.Select(row => row[i].Length).Append(c.Name.Length).Append(c.Width).Max()).ToArray();
        string Line(IEnumerable<string> row) => string.Join("  ", row.Select((cell, i) =>
            Columns[i].Name is "subject" or "error" ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd();
        lines.Add(Line(Columns.Select(c => c.Name)));
        foreach (var row in cells) lines.Add(Line(row));
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>The header: what runs where, and what the energy sources do here.</summary>
    public IReadOnlyList<string> HeaderLines()
    {
        lock (_lock)
        {
            var lines = new List<string>
            {
                $"{Client} · {Model} · {Dataset} · {Hardware}{(Load.Length > 0 ? " · " + Load : "")}",
                $"energy: {EnergyStatus}",
            };
            foreach (var (name, verdict) in Sources) lines.Add($"  {name}: {verdict}");
            return lines;
        }
    }

    public string ProgressLine()
    {
        var (counts, timing) = ProgressLines();
        return $"{counts} · {timing}";
    }

    /// <summary>The progress in two parts: queries and errors; elapsed, ETA and what the run is doing.</summary>
    public (string Counts, string Timing) ProgressLines()
    {
        var done = Done;
        var total = Total;
        var errors = ErrorsByClass;
        var pct = total is > 0 ? $" ({100.0 * done / total.Value:F0} %)" : "";
        var errorText = errors.Count == 0 ? "0" : $"{errors.Sum(e => e.Count)} ({string.Join(", ", errors.Select(e => $"{e.Class} {e.Count}"))})";
        var eta = Eta is { } e ? Hms(e) : "—";
        return ($"queries {done}/{total?.ToString(CultureInfo.InvariantCulture) ?? "?"}{pct} · errors {errorText}",
            $"elapsed {Hms(Elapsed)} · eta {eta} · {Phase}");
    }

    public string TotalsLine()
    {
        var (energy, intelligence) = TotalsLines();
        return $"{energy} · {intelligence}";
    }

    /// <summary>The totals in two parts: energy and throughput; accuracy and the intelligence metrics.</summary>
    public (string Energy, string Intelligence) TotalsLines()
    {
        var t = Totals;
        var energy = t.Joules is { } j ? $"{j:0.###} J over {t.EnergyRows} queries" : "energy —";
        var perJ = t.TokensPerJoule is { } tpj ? $"{tpj:0.###} tok/J" : "tok/J —";
        var watts = t.AvgPowerW is { } w ? $"{w:0.##} W avg" : "W —";
        var accuracy = t.Accuracy is { } a ? $"accuracy {a:P1} ({t.Correct}/{t.Graded})" : "accuracy — (none graded yet)";
        var ipj = t.IntelligencePerJoule is { } i ? $"IPJ {i:0.####}/J" : "IPJ —";
        var ipw = t.IntelligencePerWatt is { } iw ? $"IPW {iw:0.####}/W" : "IPW —";
        var rate = t.TokensPerSecond is { } tps ? $"output {tps:0.#} tok/s" : "output tok/s —";
        return ($"{energy} · {perJ} · {watts} · {rate}", $"{accuracy} · {ipj} · {ipw}");
    }

    /// <summary>TTFT, TPOT and pooled inter-token latency of the successful queries so far (mean/median/p99, ms), as
    /// summary.json's serving section defines them.</summary>
    public string LatencyLine()
    {
        lock (_lock) return _latency.Line();
    }

    /// <summary>A finished run's serving figures (summary.json), for the inter-token latency its records cannot give.</summary>
    public void UseRunFigures(Core.Summary.ServingSection? serving)
    {
        lock (_lock) _latency.UseRunFigures(serving);
        Changed();
    }

    /// <summary>The query table's columns: name, width, and how a row shows in it.</summary>
    public static IReadOnlyList<(string Name, int Width, Func<MonitorRow, string> Cell)> Columns { get; } =
    [
        ("#", 5, r => r.Index.ToString(CultureInfo.InvariantCulture)),
        ("subject", 10, r => r.Subject ?? ""),
        ("ttft ms", 8, r => Num(r.TtftS * 1000, "0.00")),
        ("e2e ms", 9, r => Num(r.E2eS * 1000, "0.00")),
        ("in", 6, r => Num(r.InputTokens)),
        ("out", 5, r => Num(r.OutputTokens)),
        ("tok/s", 7, r => Num(r.TokensPerS, "0.0")),
        ("J", 8, r => Num(r.EnergyJ, "0.###")),
        ("ok", 3, r => r.Correct switch { true => "✓", false => "✗", null => "" }),
        ("error", 6, r => r.Status == "ok" ? "" : $"{r.Status}: {r.Error}"),
    ];

    internal static string Hms(TimeSpan t) => t.TotalHours >= 100 ? $"{(int)t.TotalHours}h" : $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}";

    private static string Num(double? v, string format) => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "—";

    private static string Num(long? v) => v is { } x ? x.ToString(CultureInfo.InvariantCulture) : "—";

    private void Changed() => Interlocked.Increment(ref _version);

    /// <summary>A stopwatch clock that starts now.</summary>
    public static Func<TimeSpan> StopwatchClock()
    {
        var start = Stopwatch.GetTimestamp();
        return () => Stopwatch.GetElapsedTime(start);
    }
}
