using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Tui;

/// <summary>One query as the monitor shows it.</summary>
public sealed record MonitorRow(
    long Index, string? Subject, double? TtftS, double E2eS, long? InputTokens, long? OutputTokens, double? TokensPerS,
    double? EnergyJ, double? AvgPowerW, bool? Correct, string Status, string? Error, double CompletedAtS)
{
    /// <summary>The row of a record the pipeline just wrote.</summary>
    public static MonitorRow From(QueryRecord r) => new(
        r.QueryIndex, r.Subject, r.TtftS, r.E2eLatencyS, r.InputTokens, r.OutputTokens, r.DecodeTokensPerS, r.EnergyJ, r.AvgPowerW,
        r.Correct, r.Status, r.Error, r.CompletedAtS)
    {
        TpotS = r.TpotS,
        TokenGapsS = r.TokenGapsS,
    };

    /// <summary>Mean time per output token after the first.</summary>
    public double? TpotS { get; init; }

    /// <summary>The query's inter-token gaps (live only: a run's file does not keep them).</summary>
    public ReadOnlyMemory<double> TokenGapsS { get; init; }
}

/// <summary>A telemetry metric the monitor charts.</summary>
public sealed record MonitorMetric(string Name, string Device, MetricKind Kind, string Unit)
{
    /// <summary>For an energy counter: how it publishes (its period, when the source learned it).</summary>
    public Ipw.Core.Measurement.CounterClock Clock { get; init; }
}

/// <summary>A chart line: points (seconds since the run started, value) at about one a second.</summary>
public sealed class ChartSeries(string name, string unit, bool cumulative = false)
{
    private readonly List<(double T, double V)> _points = [];

    public string Name { get; } = name;
    public string Unit { get; } = unit;

    /// <summary>A running total that changes only at events (a query's completion): it holds between points.</summary>
    public bool Cumulative { get; } = cumulative;

    /// <summary>The points, oldest first (a copy).</summary>
    public IReadOnlyList<(double T, double V)> Points
    {
        get { lock (_points) return _points.ToArray(); }
    }

    /// <summary>The latest value, or null before the first.</summary>
    public double? Last
    {
        get { lock (_points) return _points.Count > 0 ? _points[^1].V : null; }
    }

    internal void Add(double t, double v, int keep)
    {
        lock (_points)
        {
            _points.Add((t, v));
            if (_points.Count > keep * 2) _points.RemoveRange(0, _points.Count - keep);
        }
    }
}

/// <summary>The running totals. Null means not measured (yet), never zero.</summary>
public sealed record MonitorTotals(
    int Done, int Errors, long OutputTokens, double? Joules, int EnergyRows, double? TokensPerJoule, double? AvgPowerW,
    int Graded, int Correct, double? Accuracy, double? IntelligencePerJoule, double? IntelligencePerWatt, double? TokensPerSecond);
