using Apache.Arrow;
using Apache.Arrow.Types;

namespace Ipw.Core.Runs;

/// <summary>A typed column: its Arrow type, its Hugging Face feature dtype and how to read it from a row.</summary>
internal abstract class Column<TRow>(string name, IArrowType type, string hfDtype)
{
    public string Name { get; } = name;
    public IArrowType Type { get; } = type;
    public string HfDtype { get; } = hfDtype;
    public Field Field => new(Name, Type, nullable: true);
    public abstract IArrowArray Build(IReadOnlyList<TRow> rows);
}

internal sealed class StringColumn<TRow>(string name, Func<TRow, string?> get) : Column<TRow>(name, StringType.Default, "string")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new StringArray.Builder();
        foreach (var row in rows)
        {
            var v = get(row);
            if (v is null) b.AppendNull(); else b.Append(v);
        }
        return b.Build();
    }
}

internal sealed class Int64Column<TRow>(string name, Func<TRow, long?> get) : Column<TRow>(name, Int64Type.Default, "int64")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new Int64Array.Builder();
        foreach (var row in rows)
        {
            if (get(row) is { } v) b.Append(v); else b.AppendNull();
        }
        return b.Build();
    }
}

internal sealed class DoubleColumn<TRow>(string name, Func<TRow, double?> get) : Column<TRow>(name, DoubleType.Default, "float64")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new DoubleArray.Builder();
        foreach (var row in rows)
        {
            // NaN means "not measured" inside the pipeline; on disk it is a null.
            if (get(row) is { } v && !double.IsNaN(v)) b.Append(v); else b.AppendNull();
        }
        return b.Build();
    }
}

internal sealed class BoolColumn<TRow>(string name, Func<TRow, bool?> get) : Column<TRow>(name, BooleanType.Default, "bool")
{
    public override IArrowArray Build(IReadOnlyList<TRow> rows)
    {
        var b = new BooleanArray.Builder();
        foreach (var row in rows)
        {
            if (get(row) is { } v) b.Append(v); else b.AppendNull();
        }
        return b.Build();
    }
}

/// <summary>A table layout: the columns, the Arrow schema and the Hugging Face features.</summary>
internal sealed class TableLayout<TRow>
{
    public IReadOnlyList<Column<TRow>> Columns { get; }
    public Schema Schema { get; }

    public TableLayout(IReadOnlyList<Column<TRow>> columns)
    {
        Columns = columns;
        var builder = new Schema.Builder();
        foreach (var c in columns) builder.Field(c.Field);
        Schema = builder.Build();
    }

    public RecordBatch Batch(IReadOnlyList<TRow> rows)
    {
        var arrays = new IArrowArray[Columns.Count];
        for (var i = 0; i < arrays.Length; i++) arrays[i] = Columns[i].Build(rows);
        return new RecordBatch(Schema, arrays, rows.Count);
    }

    /// <summary>The <c>features</c> object of dataset_info.json, matching the Arrow types exactly.</summary>
    public Dictionary<string, object> HfFeatures() =>
        Columns.ToDictionary(c => c.Name, c => (object)new Dictionary<string, string> { ["dtype"] = c.HfDtype, ["_type"] = "Value" });
}

/// <summary>The per-query record layout (data-*.arrow).</summary>
internal static class RecordSchema
{
    public static TableLayout<QueryRecord> Layout { get; } = new(
    [
        new Int64Column<QueryRecord>("query_index", r => r.QueryIndex),
        new StringColumn<QueryRecord>("item_id", r => r.ItemId),
        new StringColumn<QueryRecord>("dataset", r => r.Dataset),
        new StringColumn<QueryRecord>("subject", r => r.Subject),
        new StringColumn<QueryRecord>("client", r => r.Client),
        new StringColumn<QueryRecord>("model", r => r.Model),
        new StringColumn<QueryRecord>("prompt", r => r.Prompt),
        new StringColumn<QueryRecord>("reference", r => r.Reference),
        new StringColumn<QueryRecord>("grader", r => r.Grader),
        new StringColumn<QueryRecord>("response", r => r.Response),
        new StringColumn<QueryRecord>("reasoning", r => r.Reasoning),
        new StringColumn<QueryRecord>("status", r => r.Status),
        new StringColumn<QueryRecord>("error", r => r.Error),
        new StringColumn<QueryRecord>("finish_reason", r => r.FinishReason),
        new BoolColumn<QueryRecord>("correct", r => r.Correct),
        new DoubleColumn<QueryRecord>("score", r => r.Score),
        new StringColumn<QueryRecord>("grade_explanation", r => r.GradeExplanation),
        new Int64Column<QueryRecord>("input_tokens", r => r.InputTokens),
        new Int64Column<QueryRecord>("output_tokens", r => r.OutputTokens),
        new StringColumn<QueryRecord>("token_count_source", r => r.TokenCountSource),
        new StringColumn<QueryRecord>("started_at", r => r.StartedAt),
        new DoubleColumn<QueryRecord>("sent_at_s", r => r.SentAtS),
        new DoubleColumn<QueryRecord>("completed_at_s", r => r.CompletedAtS),
        new DoubleColumn<QueryRecord>("ttft_s", r => r.TtftS),
        new DoubleColumn<QueryRecord>("e2e_latency_s", r => r.E2eLatencyS),
        new DoubleColumn<QueryRecord>("decode_tokens_per_s", r => r.DecodeTokensPerS),
        new DoubleColumn<QueryRecord>("tpot_s", r => r.TpotS),
        new DoubleColumn<QueryRecord>("itl_p50_s", r => r.ItlP50S),
        new DoubleColumn<QueryRecord>("itl_p99_s", r => r.ItlP99S),
        new DoubleColumn<QueryRecord>("scheduled_at_s", r => r.ScheduledAtS),
        new DoubleColumn<QueryRecord>("send_lag_s", r => r.SendLagS),
        new Int64Column<QueryRecord>("in_flight_at_send", r => r.InFlightAtSend),
        new DoubleColumn<QueryRecord>("client_queue_s", r => r.ClientQueueS),
        new DoubleColumn<QueryRecord>("server_prompt_eval_s", r => r.ServerPromptEvalS),
        new DoubleColumn<QueryRecord>("server_eval_s", r => r.ServerEvalS),
        new DoubleColumn<QueryRecord>("server_load_s", r => r.ServerLoadS),
        new DoubleColumn<QueryRecord>("process_cpu_s", r => r.ProcessCpuS),
        new Int64Column<QueryRecord>("process_rss_bytes", r => r.ProcessRssBytes),
        new DoubleColumn<QueryRecord>("system_cpu_utilization", r => r.SystemCpuUtilization),
        new Int64Column<QueryRecord>("system_memory_used_bytes", r => r.SystemMemoryUsedBytes),
        new DoubleColumn<QueryRecord>("energy_j", r => r.EnergyJ),
        new StringColumn<QueryRecord>("energy_source", r => r.EnergySource),
        new StringColumn<QueryRecord>("energy_missing_reason", r => r.EnergyMissingReason),
        new StringColumn<QueryRecord>("energy_method", r => r.EnergyMethod),
        new StringColumn<QueryRecord>("energy_quality", r => r.EnergyQuality),
        new DoubleColumn<QueryRecord>("energy_window_j", r => r.EnergyWindowJ),
        new DoubleColumn<QueryRecord>("active_energy_j", r => r.ActiveEnergyJ),
        new DoubleColumn<QueryRecord>("mean_concurrency", r => r.MeanConcurrency),
        new DoubleColumn<QueryRecord>("avg_power_w", r => r.AvgPowerW),
        new DoubleColumn<QueryRecord>("max_power_w", r => r.MaxPowerW),
        new StringColumn<QueryRecord>("power_missing_reason", r => r.PowerMissingReason),
        new Int64Column<QueryRecord>("gpu_memory_used_bytes", r => r.GpuMemoryUsedBytes),
        new DoubleColumn<QueryRecord>("temperature_c", r => r.TemperatureC),
        new StringColumn<QueryRecord>("temperature_missing_reason", r => r.TemperatureMissingReason),
    ]);
}
