namespace Ipw.Abstractions;

/// <summary>The stored type of a record column (Arrow and Hugging Face <c>datasets</c> types follow from it).</summary>
public enum ColumnType
{
    /// <summary>UTF-8 text (Arrow utf8, HF "string").</summary>
    String,
    /// <summary>64-bit integer (Arrow int64, HF "int64").</summary>
    Int64,
    /// <summary>64-bit float (Arrow double, HF "float64").</summary>
    Float64,
    /// <summary>Boolean (Arrow bool, HF "bool").</summary>
    Bool,
    /// <summary>A list of 64-bit floats (Arrow list&lt;double&gt;, HF <c>Sequence</c> of "float64"): one value per device.</summary>
    Float64List,
    /// <summary>One entry per device, named (Arrow list&lt;struct&lt;device: utf8, energy_j, active_energy_j,
    /// avg_power_w: double&gt;&gt;, HF a list of those fields): <see cref="DeviceEnergy"/>.</summary>
    DeviceList,
}

/// <summary>One device's part of a query's energy (<see cref="RecordColumns.EnergyByDevice"/>).</summary>
/// <param name="Device">The device as its energy source names it: <c>gpu0</c>, <c>gpu1</c>, <c>package-0</c>, <c>dram</c>, ...</param>
/// <param name="EnergyJ">The query's share of the device's energy; null when not measured.</param>
/// <param name="ActiveEnergyJ">That share above the device's own idle power; null without a baseline.</param>
/// <param name="AvgPowerW">The device's average power over the query's window; null where the window is too short.</param>
public sealed record DeviceEnergy(string Device, double? EnergyJ, double? ActiveEnergyJ, double? AvgPowerW);

/// <summary>The stage of a query's measurement that produces a column. Stages run in this order, once per query, and a
/// column is written only by its own stage; the record is complete when the last stage has run.</summary>
public enum RecordStage
{
    /// <summary>What was asked and what came back: the item, the response, the status.</summary>
    Query,
    /// <summary>Latencies derived from the stream's timeline, and the load's own timing.</summary>
    Timing,
    /// <summary>Token counts and where they came from.</summary>
    Tokens,
    /// <summary>Telemetry over the query's window: CPU, memory, power peaks, temperature.</summary>
    Telemetry,
    /// <summary>The query's attributed energy and average power.</summary>
    Energy,
    /// <summary>The grade of the answer.</summary>
    Grade,
    /// <summary>What the query cost and emitted, from its energy and tokens at the run's prices.</summary>
    Cost,
}

/// <summary>One column of the per-query records: its name, type, unit, meaning and producing stage. Every column is
/// nullable: a value that was not measured is null, never 0.</summary>
public abstract class RecordColumn
{
    private protected RecordColumn(int ordinal, string name, ColumnType type, string? unit, RecordStage stage, string description)
    {
        Ordinal = ordinal;
        Name = name;
        Type = type;
        Unit = unit;
        Stage = stage;
        Description = description;
    }

    /// <summary>Position in <see cref="RecordColumns.All"/> and in the data file.</summary>
    public int Ordinal { get; }

    /// <summary>The column's name in the data file (snake case, unit-suffixed where it has one).</summary>
    public string Name { get; }

    /// <summary>The stored type.</summary>
    public ColumnType Type { get; }

    /// <summary>The unit ("s", "J", "W", "bytes", ...), or null for text, counts of things and flags.</summary>
    public string? Unit { get; }

    /// <summary>The stage that writes it.</summary>
    public RecordStage Stage { get; }

    /// <summary>What it holds, in one sentence.</summary>
    public string Description { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A column whose values are <typeparamref name="T"/>: <c>string?</c>, <c>long?</c>, <c>double?</c>, <c>bool?</c>,
/// <c>IReadOnlyList&lt;double&gt;?</c> or <c>IReadOnlyList&lt;DeviceEnergy&gt;?</c>.</summary>
public sealed class RecordColumn<T> : RecordColumn
{
    internal RecordColumn(int ordinal, string name, ColumnType type, string? unit, RecordStage stage, string description)
        : base(ordinal, name, type, unit, stage, description)
    {
    }

    /// <summary>This column holding <paramref name="value"/>: a typed cell for records restored from stored values.</summary>
    public ColumnValue With(T value) => new(this, value is double d && double.IsNaN(d) ? null : value);
}

/// <summary>A column and its value (null: not measured).</summary>
public readonly record struct ColumnValue(RecordColumn Column, object? Value);
