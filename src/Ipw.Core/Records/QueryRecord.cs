using Ipw.Abstractions;

namespace Ipw.Core.Records;

/// <summary>
/// One query's measurements: a flat row of the run's data file, one value per <see cref="RecordColumns"/> column.
/// Immutable, made once by a <see cref="RecordBuilder"/> after every stage has run. Missing values are null, never 0;
/// metrics that could not be measured carry a reason column instead. The properties are shorthands for the columns
/// front ends and scripts read most; <see cref="Get{T}"/> reads any column.
/// </summary>
public sealed class QueryRecord
{
    private readonly object?[] _values;

    internal QueryRecord(object?[] values) => _values = values;

    /// <summary>A record restored from stored values (rescoring, benchmarks, tests), not measured: no stages run, and
    /// the columns not given are null.</summary>
    public static QueryRecord Of(params ReadOnlySpan<ColumnValue> values)
    {
        var row = new object?[RecordColumns.All.Count];
        foreach (var v in values) row[v.Column.Ordinal] = v.Value;
        return new QueryRecord(row);
    }

    /// <summary>The query's inter-token gaps in seconds, in order (the <c>itl_s</c> column, see
    /// <see cref="Profiling.TimelineMetrics.TokenGapsS"/>), for the run's pooled inter-token latency; empty when not measured.</summary>
    public ReadOnlyMemory<double> TokenGapsS => Get(RecordColumns.ItlS) switch
    {
        double[] gaps => gaps,
        { } list => list.ToArray(),
        null => ReadOnlyMemory<double>.Empty,
    };

    /// <summary>The value of <paramref name="column"/> (null: not measured).</summary>
    public T Get<T>(RecordColumn<T> column) => (T)_values[column.Ordinal]!;

    /// <summary>The value of <paramref name="column"/>, boxed (null: not measured).</summary>
    public object? this[RecordColumn column] => _values[column.Ordinal];

    public long QueryIndex => Get(RecordColumns.QueryIndex) ?? -1;
    public string ItemId => Get(RecordColumns.ItemId) ?? "";
    public string? Subject => Get(RecordColumns.Subject);
    public string Prompt => Get(RecordColumns.Prompt) ?? "";
    public string? Reference => Get(RecordColumns.Reference);
    public string? Grader => Get(RecordColumns.Grader);
    public string Response => Get(RecordColumns.Response) ?? "";
    /// <summary>"ok", or the error class in lower case.</summary>
    public string Status => Get(RecordColumns.Status) ?? "ok";
    public string? Error => Get(RecordColumns.Error);
    public bool? Correct => Get(RecordColumns.Correct);
    public double? Score => Get(RecordColumns.Score);
    public long? InputTokens => Get(RecordColumns.InputTokens);
    public long? OutputTokens => Get(RecordColumns.OutputTokens);
    public double CompletedAtS => Get(RecordColumns.CompletedAtS) ?? double.NaN;
    public double? TtftS => Get(RecordColumns.TtftS);
    public double E2eLatencyS => Get(RecordColumns.E2eLatencyS) ?? double.NaN;
    public double? DecodeTokensPerS => Get(RecordColumns.DecodeTokensPerS);
    public double? TpotS => Get(RecordColumns.TpotS);
    public double? SendLagS => Get(RecordColumns.SendLagS);
    public double? ClientQueueS => Get(RecordColumns.ClientQueueS);
    public double? ProcessCpuS => Get(RecordColumns.ProcessCpuS);
    public double? EnergyJ => Get(RecordColumns.EnergyJ);
    public double? ActiveEnergyJ => Get(RecordColumns.ActiveEnergyJ);
    public double? AvgPowerW => Get(RecordColumns.AvgPowerW);
}
