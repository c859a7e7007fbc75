namespace Ipw.Core.Runs;

/// <summary>
/// One query's measurements: a flat row of the run's Arrow file. Missing values are null, never 0;
/// metrics that could not be measured carry a reason column instead.
/// </summary>
public sealed class QueryRecord
{
    public long QueryIndex { get; set; }
    public string ItemId { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string? Subject { get; set; }
    public string Client { get; set; } = "";
    public string Model { get; set; } = "";
    public string Prompt { get; set; } = "";
    public string? Reference { get; set; }
    public string? Grader { get; set; }
    public string Response { get; set; } = "";
    public string? Reasoning { get; set; }

    /// <summary>"ok", or the error class in lower case.</summary>
    public string Status { get; set; } = "ok";
    public string? Error { get; set; }
    public string? FinishReason { get; set; }

    /// <summary>Whether the answer is right (null: not graded, e.g. open-ended).</summary>
    public bool? Correct { get; set; }
    /// <summary>The grader's score in [0, 1] (null: not graded).</summary>
    public double? Score { get; set; }
    /// <summary>Why the grader decided as it did, or why the answer was not graded.</summary>
    public string? GradeExplanation { get; set; }

    public long? InputTokens { get; set; }
    public long? OutputTokens { get; set; }
    public string? TokenCountSource { get; set; }

    /// <summary>Wall-clock start, ISO 8601 UTC, derived once from the run's monotonic clock.</summary>
    public string StartedAt { get; set; } = "";
    /// <summary>Seconds from the run's start (monotonic) to the request being sent.</summary>
    public double SentAtS { get; set; }
    public double CompletedAtS { get; set; }
    public double? TtftS { get; set; }
    public double E2eLatencyS { get; set; }
    /// <summary>Output tokens after the first per second of decoding.</summary>
    public double? DecodeTokensPerS { get; set; }
    /// <summary>Mean time per output token after the first.</summary>
    public double? TpotS { get; set; }
    public double? ItlP50S { get; set; }
    public double? ItlP99S { get; set; }
    /// <summary>Open loop: when the request was due, seconds from the run's start (null in closed loop).</summary>
    public double? ScheduledAtS { get; set; }
    /// <summary>Open loop: how late the harness sent it (actual − scheduled).</summary>
    public double? SendLagS { get; set; }
    /// <summary>Requests in flight when this one was sent, itself included.</summary>
    public long? InFlightAtSend { get; set; }
    /// <summary>Time the request spent inside the client before going out (queueing in a one-at-a-time engine).</summary>
    public double? ClientQueueS { get; set; }
    public double? ServerPromptEvalS { get; set; }
    public double? ServerEvalS { get; set; }
    public double? ServerLoadS { get; set; }

    public double? ProcessCpuS { get; set; }
    public long? ProcessRssBytes { get; set; }
    public double? SystemCpuUtilization { get; set; }
    public long? SystemMemoryUsedBytes { get; set; }

    public double? EnergyJ { get; set; }
    public string? EnergySource { get; set; }
    public string? EnergyMissingReason { get; set; }
    /// <summary>"window" (the query ran alone and owns its window's energy), "overlap-share" or "phase-share"
    /// (an estimate: a share of each interval's energy among the queries active in it).</summary>
    public string? EnergyMethod { get; set; }
    /// <summary>"ok", or flags: short_window (under two counter updates), missing_samples, no_counter_data.</summary>
    public string? EnergyQuality { get; set; }
    /// <summary>The counter's delta over the whole window: what the query would be charged alone.</summary>
    public double? EnergyWindowJ { get; set; }
    /// <summary>Energy above idle: the share minus idle power (measured before the run) times the query's share of time.</summary>
    public double? ActiveEnergyJ { get; set; }
    /// <summary>Time-averaged number of queries in flight during this one, itself included.</summary>
    public double? MeanConcurrency { get; set; }
    public double? AvgPowerW { get; set; }
    /// <summary>Highest sampled power in the window: each device's highest reading, summed over devices.</summary>
    public double? MaxPowerW { get; set; }
    /// <summary>Accelerator memory in use (max in the window, summed over devices).</summary>
    public long? GpuMemoryUsedBytes { get; set; }
    public string? PowerMissingReason { get; set; }
    public double? TemperatureC { get; set; }
    public string? TemperatureMissingReason { get; set; }
}
