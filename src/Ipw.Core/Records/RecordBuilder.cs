using Ipw.Abstractions;

namespace Ipw.Core.Records;

/// <summary>
/// Makes one <see cref="QueryRecord"/>. The stages run in <see cref="RecordStage"/> order, each through
/// <see cref="Enter"/>; a stage may write only its own columns (the table says which), so every column has one
/// producer, and <see cref="Build"/> makes the immutable record once, after the last stage.
/// Not thread-safe: one query's stages run on one thread.
/// </summary>
public sealed class RecordBuilder
{
    private readonly object?[] _values = new object?[RecordColumns.All.Count];
    private RecordStage? _stage;
    private bool _built;

    /// <summary>Starts <paramref name="stage"/>; stages come in order, each once.</summary>
    public RecordBuilder Enter(RecordStage stage)
    {
        if (_built) throw new InvalidOperationException("the record is already built");
        if (_stage is { } current && stage <= current) throw new InvalidOperationException($"stage {stage} after {current}: stages run in order, once each");
        _stage = stage;
        return this;
    }

    /// <summary>Writes <paramref name="column"/>, which must belong to the current stage. NaN is stored as null (not measured).</summary>
    public RecordBuilder Set<T>(RecordColumn<T> column, T value)
    {
        if (column.Stage != _stage) throw new InvalidOperationException($"column {column.Name} belongs to stage {column.Stage}, not {_stage?.ToString() ?? "none"}");
        _values[column.Ordinal] = value is double d && double.IsNaN(d) ? null : value;
        return this;
    }

    /// <summary>A column an earlier stage wrote (a later stage derives from it: the cost from the energy and tokens).</summary>
    public T Get<T>(RecordColumn<T> column)
    {
        if (_stage is not { } current || column.Stage >= current) throw new InvalidOperationException($"column {column.Name} is not written before stage {_stage}");
        return (T)_values[column.Ordinal]!;
    }

    /// <summary>The finished record. Called once, after the last stage that has anything to write.</summary>
    public QueryRecord Build()
    {
        if (_built) throw new InvalidOperationException("the record is already built");
        _built = true;
        return new QueryRecord(_values);
    }
}
