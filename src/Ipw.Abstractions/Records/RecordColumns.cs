namespace Ipw.Abstractions;

/// <summary>
/// The per-query record schema, defined once: every column of a run's data file with its type, unit, meaning and
/// producing stage. The Arrow writer, the Hugging Face <c>dataset_info.json</c> features, docs/run-folder.md's column table and
/// every reader take their names from here. Adding a column is one line here plus the stage that fills it.
/// </summary>
public static class RecordColumns
{
    // Declared first: the fields below add themselves in textual order, which is the column order on disk.
    private static readonly List<RecordColumn> Columns = [];
    private static readonly Dictionary<string, RecordColumn> ByName = new(StringComparer.Ordinal);

    /// <summary>Position of the query in the run, from 0.</summary>
    public static readonly RecordColumn<long?> QueryIndex = Int("query_index", null, RecordStage.Query, "position of the query in the run, from 0");
    /// <summary>The dataset item's id.</summary>
    public static readonly RecordColumn<string?> ItemId = Text("item_id", RecordStage.Query, "the dataset item's id");
    /// <summary>A replayed conversation's id (the dataset item's); null for a single query.</summary>
    public static readonly RecordColumn<string?> ConversationId = Text("conversation_id", RecordStage.Query,
        "the conversation this query is a turn of (`turns=all`: the dataset item's id); null for a single query");
    /// <summary>The user turn of a replayed conversation, from 1; null for a single query.</summary>
    public static readonly RecordColumn<long?> Turn = Int("turn", null, RecordStage.Query,
        "the user turn of its conversation, from 1 (`turns=all`), sent with the model's own earlier answers; null for a single query");
    /// <summary>How many user turns the replayed conversation has (all of them planned; a failed turn or a stop ends it
    /// early); null for a single query.</summary>
    public static readonly RecordColumn<long?> ConversationTurns = Int("conversation_turns", null, RecordStage.Query,
        "how many user turns its conversation has (`turns=all`); a conversation with fewer recorded turns ended early (a failed turn or a stop); null for a single query");
    /// <summary>The dataset's registry name.</summary>
    public static readonly RecordColumn<string?> Dataset = Text("dataset", RecordStage.Query, "the dataset's registry name");
    /// <summary>The item's subject or category.</summary>
    public static readonly RecordColumn<string?> Subject = Text("subject", RecordStage.Query, "the item's subject or category");
    /// <summary>The client's registry name.</summary>
    public static readonly RecordColumn<string?> Client = Text("client", RecordStage.Query, "the client's registry name");
    /// <summary>The model label the client reported.</summary>
    public static readonly RecordColumn<string?> Model = Text("model", RecordStage.Query, "the model label the client reported");
    /// <summary>The last user message sent.</summary>
    public static readonly RecordColumn<string?> Prompt = Text("prompt", RecordStage.Query, "the last user message sent");
    /// <summary>The reference answer, when the item has one.</summary>
    public static readonly RecordColumn<string?> Reference = Text("reference", RecordStage.Query, "the reference answer, when the item has one");
    /// <summary>The grader the item names.</summary>
    public static readonly RecordColumn<string?> Grader = Text("grader", RecordStage.Query, "the grader the item names (`numeric`, `choice`, `exact`, ...)");
    /// <summary>The generated answer.</summary>
    public static readonly RecordColumn<string?> Response = Text("response", RecordStage.Query, "the generated answer");
    /// <summary>Reasoning text, when the model produced any.</summary>
    public static readonly RecordColumn<string?> Reasoning = Text("reasoning", RecordStage.Query, "reasoning (thinking) text, when the model produced any");
    /// <summary>"ok", or the error class in lower case.</summary>
    public static readonly RecordColumn<string?> Status = Text("status", RecordStage.Query, "`ok`, or the error class (`connection`, `timeout`, `server`, `disconnected`, `cancelled`, ...)");
    /// <summary>The error message, when the query failed.</summary>
    public static readonly RecordColumn<string?> Error = Text("error", RecordStage.Query, "the error message, when the query failed");
    /// <summary>Attempts made for the query.</summary>
    public static readonly RecordColumn<long?> Attempts = Int("attempts", null, RecordStage.Query,
        "attempts made: 1, or more when `--client-param retry=N` retried it or it was `reconnected` (its latencies span every attempt, from the first send)");
    /// <summary>Time spent waiting between attempts.</summary>
    public static readonly RecordColumn<double?> RetryWaitS = Float("retry_wait_s", "s", RecordStage.Query,
        "time waited between attempts (the server's Retry-After, capped at 120 s, or the backoff); 0 when sent once");
    /// <summary>Whether the query was sent again on a new connection after a stale kept-alive one.</summary>
    public static readonly RecordColumn<bool?> Reconnected = Bool("reconnected", RecordStage.Query,
        "true when the first send went out on a kept-alive connection the server had already closed (llama.cpp's server closes one after each stream) and the query was sent again at once on a new connection; counted in `attempts`, its latencies from the first send");
    /// <summary>An agent's model calls for the item (<c>--agent</c>); null when no agent ran.</summary>
    public static readonly RecordColumn<long?> ModelSteps = Int("model_steps", null, RecordStage.Query,
        "`--agent`: the model calls the agent made for the item; null when no agent ran");
    /// <summary>An agent's tool calls for the item.</summary>
    public static readonly RecordColumn<long?> ToolSteps = Int("tool_steps", null, RecordStage.Query, "`--agent`: the tool calls the agent ran for the item");
    /// <summary>Time spent inside tools.</summary>
    public static readonly RecordColumn<double?> ToolTimeS = Float("tool_time_s", "s", RecordStage.Query,
        "`--agent`: time spent inside tools (their steps' durations summed), not in the model");
    /// <summary>The agent's steps in order, as text.</summary>
    public static readonly RecordColumn<string?> StepKinds = Text("step_kinds", RecordStage.Query,
        "`--agent`: the steps in order, `model` or `tool:NAME`, comma-separated");
    /// <summary>Each step's duration, in order.</summary>
    public static readonly RecordColumn<IReadOnlyList<double>?> StepDurationsS = FloatList("step_durations_s", "s", RecordStage.Query,
        "`--agent`: each step's duration, in the order of `step_kinds`; with the time between them, they make up `e2e_latency_s`");
    /// <summary>Each step's start on the run's clock, in order.</summary>
    public static readonly RecordColumn<IReadOnlyList<double>?> StepStartedAtS = FloatList("step_started_at_s", "s", RecordStage.Timing,
        "`--agent`: each step's start, from the run's start (monotonic, as `sent_at_s` and telemetry.arrow's `t_s`), in the order of `step_kinds`; a step ends at its start plus its `step_durations_s`");
    /// <summary>Each step's output tokens, in order (a tool step's are 0).</summary>
    public static readonly RecordColumn<IReadOnlyList<double>?> StepOutputTokens = FloatList("step_output_tokens", "tokens", RecordStage.Query,
        "`--agent`: each step's output tokens, in the order of `step_kinds`: a model call's as its usage says, 0 for a tool step (a tool generates none); null when a model call's count is unknown");
    /// <summary>Each step's share of the task's energy, in order; they sum to 1.</summary>
    public static readonly RecordColumn<IReadOnlyList<double>?> StepEnergyShare = FloatList("step_energy_share", null, RecordStage.Query,
        "`--agent`: each step's share of the task's energy, in the order of `step_kinds`, from the energy counters read at each step's edges (`step_share_source` energy), or by its share of the steps' time where there is no counter (time); the shares sum to 1, so `energy_j` × a share is that step's energy (`active_energy_j` likewise), and a tool's joules are the tool step's, not the model's");
    /// <summary>What the step shares were taken from.</summary>
    public static readonly RecordColumn<string?> StepShareSource = Text("step_share_source", RecordStage.Query,
        "`--agent`: `energy` (the counters read at each step's edges) or `time` (no counter, or one that did not move)");
    /// <summary>Why generation stopped.</summary>
    public static readonly RecordColumn<string?> FinishReason = Text("finish_reason", RecordStage.Query, "why generation stopped (`length`, `stop`, ...), when the service said");
    /// <summary>Whether the answer is right (null: not graded).</summary>
    public static readonly RecordColumn<bool?> Correct = Bool("correct", RecordStage.Grade, "whether the answer is right; null when not graded");
    /// <summary>The grader's score in [0, 1].</summary>
    public static readonly RecordColumn<double?> Score = Float("score", null, RecordStage.Grade, "the grader's score, 0 to 1; null when not graded");
    /// <summary>What the grader saw, or why it did not grade.</summary>
    public static readonly RecordColumn<string?> GradeExplanation = Text("grade_explanation", RecordStage.Grade, "what the grader saw, or why the answer was not graded");
    /// <summary>Prompt tokens.</summary>
    public static readonly RecordColumn<long?> InputTokens = Int("input_tokens", "tokens", RecordStage.Tokens, "prompt tokens");
    /// <summary>Generated tokens.</summary>
    public static readonly RecordColumn<long?> OutputTokens = Int("output_tokens", "tokens", RecordStage.Tokens, "generated tokens");
    /// <summary>Prompt tokens the service served from its prefix cache.</summary>
    public static readonly RecordColumn<long?> CachedInputTokens = Int("cached_input_tokens", "tokens", RecordStage.Tokens,
        "prompt tokens the service served from its prefix cache (OpenAI `usage.prompt_tokens_details.cached_tokens`, llama.cpp `timings.cache_n`); null when it did not say");
    /// <summary>Output tokens spent on reasoning.</summary>
    public static readonly RecordColumn<long?> ReasoningTokens = Int("reasoning_tokens", "tokens", RecordStage.Tokens,
        "output tokens spent on reasoning (OpenAI `usage.completion_tokens_details.reasoning_tokens`); null when the service did not say");
    /// <summary>Tool calls in the answer.</summary>
    public static readonly RecordColumn<long?> ToolCalls = Int("tool_calls", "calls", RecordStage.Tokens,
        "tool calls the answer made (`tool_calls` deltas); null when the client cannot tell");
    /// <summary>Where the token counts came from.</summary>
    public static readonly RecordColumn<string?> TokenCountSource = Text("token_count_source", RecordStage.Tokens, "where the counts came from (`engine`, `server-usage`, `tokenizer`)");
    /// <summary>Wall-clock start, ISO 8601 UTC.</summary>
    public static readonly RecordColumn<string?> StartedAt = Text("started_at", RecordStage.Timing, "wall-clock start, ISO 8601 UTC, derived once from the run's monotonic clock");
    /// <summary>Seconds from the run's start to the request being sent.</summary>
    public static readonly RecordColumn<double?> SentAtS = Float("sent_at_s", "s", RecordStage.Timing, "when the request was sent, from the run's start (monotonic)");
    /// <summary>Seconds from the run's start to the last byte.</summary>
    public static readonly RecordColumn<double?> CompletedAtS = Float("completed_at_s", "s", RecordStage.Timing, "when the last byte arrived, from the run's start (monotonic)");
    /// <summary>Time to the first chunk carrying text or reasoning.</summary>
    public static readonly RecordColumn<double?> TtftS = Float("ttft_s", "s", RecordStage.Timing, "time to the first chunk carrying text or reasoning");
    /// <summary>From send to the last byte.</summary>
    public static readonly RecordColumn<double?> E2eLatencyS = Float("e2e_latency_s", "s", RecordStage.Timing, "from send to the last byte");
    /// <summary>Output tokens after the first per second of decoding.</summary>
    public static readonly RecordColumn<double?> DecodeTokensPerS = Float("decode_tokens_per_s", "tokens/s", RecordStage.Timing, "output tokens after the first per second of decoding");
    /// <summary>Mean time per output token after the first.</summary>
    public static readonly RecordColumn<double?> TpotS = Float("tpot_s", "s", RecordStage.Timing, "mean time per output token after the first (TPOT)");
    /// <summary>Median inter-token latency.</summary>
    public static readonly RecordColumn<double?> ItlP50S = Float("itl_p50_s", "s", RecordStage.Timing, "median inter-token latency (a chunk's gap divided among its tokens)");
    /// <summary>99th percentile inter-token latency.</summary>
    public static readonly RecordColumn<double?> ItlP99S = Float("itl_p99_s", "s", RecordStage.Timing, "99th percentile inter-token latency");
    /// <summary>Every inter-token gap of the query, in order.</summary>
    public static readonly RecordColumn<IReadOnlyList<double>?> ItlS = FloatList("itl_s", "s", RecordStage.Timing,
        "every inter-token gap of the query in the order they came (vLLM's per-request `itls`), a chunk's gap divided among its tokens: the run's inter-token latency pools these over every query");
    /// <summary>Open loop: when the request was due.</summary>
    public static readonly RecordColumn<double?> ScheduledAtS = Float("scheduled_at_s", "s", RecordStage.Timing, "open loop: when the request was due, from the run's start; null in closed loop");
    /// <summary>Open loop: how late the harness sent it.</summary>
    public static readonly RecordColumn<double?> SendLagS = Float("send_lag_s", "s", RecordStage.Timing, "open loop: how late the harness sent it (actual − scheduled)");
    /// <summary>Requests in flight when this one was sent.</summary>
    public static readonly RecordColumn<long?> InFlightAtSend = Int("in_flight_at_send", "requests", RecordStage.Timing, "requests in flight when this one was sent, itself included");
    /// <summary>Time inside the client before the request went out.</summary>
    public static readonly RecordColumn<double?> ClientQueueS = Float("client_queue_s", "s", RecordStage.Timing, "time inside the client before the request went out (a one-at-a-time engine's queue)");
    /// <summary>The server's own prompt evaluation time.</summary>
    public static readonly RecordColumn<double?> ServerPromptEvalS = Float("server_prompt_eval_s", "s", RecordStage.Timing, "the server's own prompt evaluation time, when it reports one");
    /// <summary>The server's own generation time.</summary>
    public static readonly RecordColumn<double?> ServerEvalS = Float("server_eval_s", "s", RecordStage.Timing, "the server's own generation time, when it reports one");
    /// <summary>The server's model load time for this request.</summary>
    public static readonly RecordColumn<double?> ServerLoadS = Float("server_load_s", "s", RecordStage.Timing, "the server's model load time for this request, when it reports one");
    /// <summary>CPU time of the ipw process over the window.</summary>
    public static readonly RecordColumn<double?> ProcessCpuS = Float("process_cpu_s", "s", RecordStage.Telemetry, "CPU time of the ipw process over the query's window");
    /// <summary>The ipw process's resident memory, max in the window.</summary>
    public static readonly RecordColumn<long?> ProcessRssBytes = Int("process_rss_bytes", "bytes", RecordStage.Telemetry, "the ipw process's resident memory, max in the window");
    /// <summary>The machine's CPU utilisation over the window.</summary>
    public static readonly RecordColumn<double?> SystemCpuUtilization = Float("system_cpu_utilization", "fraction", RecordStage.Telemetry, "the machine's CPU utilisation over the window, 0 to 1");
    /// <summary>The machine's memory in use, max in the window.</summary>
    public static readonly RecordColumn<long?> SystemMemoryUsedBytes = Int("system_memory_used_bytes", "bytes", RecordStage.Telemetry, "the machine's memory in use, max in the window");
    /// <summary>The query's share of the measured energy.</summary>
    public static readonly RecordColumn<double?> EnergyJ = Float("energy_j", "J", RecordStage.Energy, "the query's share of the measured energy");
    /// <summary>The energy counters used.</summary>
    public static readonly RecordColumn<string?> EnergySource = Text("energy_source", RecordStage.Energy, "the energy counters used (`source:device`, joined by `+`)");
    /// <summary>Why there is no energy value.</summary>
    public static readonly RecordColumn<string?> EnergyMissingReason = Text("energy_missing_reason", RecordStage.Energy, "why `energy_j` is null");
    /// <summary>How the energy was attributed.</summary>
    public static readonly RecordColumn<string?> EnergyMethod = Text("energy_method", RecordStage.Energy, "`window` (the query ran alone), `overlap-share` or `phase-share` (an estimate under concurrency), `fitted` (the run's fitted power model, once the run has closed)");
    /// <summary>"ok", or quality flags.</summary>
    public static readonly RecordColumn<string?> EnergyQuality = Text("energy_quality", RecordStage.Energy, "`ok`, or flags: `short_window` (shorter than two counter periods), `missing_samples`, `no_counter_data`, `period_unknown` (the counter's period could not be learned: judged as the slowest plausible), `baseline_drift` (idle power moved between the windows before and after the run by more than they can account for), `baseline_few_counter_steps`");
    /// <summary>The counters' delta over the whole window.</summary>
    public static readonly RecordColumn<double?> EnergyWindowJ = Float("energy_window_j", "J", RecordStage.Energy, "the devices' energy over the query's whole window: what it would be charged alone");
    /// <summary>Energy above idle.</summary>
    public static readonly RecordColumn<double?> ActiveEnergyJ = Float("active_energy_j", "J", RecordStage.Energy, "energy above idle: the share minus the idle power times the query's share of time (idle interpolated between the windows before and after the run once it has closed; the window before while it runs)");
    /// <summary>The active energy's uncertainty.</summary>
    public static readonly RecordColumn<double?> ActiveEnergyJErr = Float("active_energy_j_err", "J", RecordStage.Energy, "one standard deviation of `active_energy_j`: the counter's resolution in time at the window's two edges and the idle baseline's uncertainty and spread over the query's share of time");
    /// <summary>Time-averaged number of queries in flight during this one.</summary>
    public static readonly RecordColumn<double?> MeanConcurrency = Float("mean_concurrency", "requests", RecordStage.Energy, "time-averaged number of queries in flight during this one, itself included");
    /// <summary>What the query cost at the run's prices.</summary>
    public static readonly RecordColumn<double?> CostUsd = Float("cost_usd", "USD", RecordStage.Cost,
        "`--energy-price` (per kWh) times `energy_j`, plus `--price-in`/`--price-out` (per million tokens) times the tokens; null when nothing is priced or a priced part is not measured");
    /// <summary>The FLOPs of prefilling the query's input tokens.</summary>
    public static readonly RecordColumn<double?> FlopsPrefill = Float("flops_prefill", "FLOP", RecordStage.Cost,
        "FLOPs of the prompt's prefill from the model's shape (`--model-config`, what the server says of its model, or the engine's model file; summary.json's `totals.flops.source` says which): 2 per weight per token plus attention over the context; every input token counted, cached or not; null without a shape");
    /// <summary>The FLOPs of decoding the query's output tokens.</summary>
    public static readonly RecordColumn<double?> FlopsDecode = Float("flops_decode", "FLOP", RecordStage.Cost,
        "FLOPs of decoding the output tokens after the prompt, by the same count; null without a shape");
    /// <summary>The CO2e of the query's energy.</summary>
    public static readonly RecordColumn<double?> Co2eG = Float("co2e_g", "g", RecordStage.Cost,
        "`--carbon` (grams CO2e per kWh) times `energy_j`; null without `--carbon` or without energy");
    /// <summary>The devices' average power over the window.</summary>
    public static readonly RecordColumn<double?> AvgPowerW = Float("avg_power_w", "W", RecordStage.Energy, "the devices' average power over the window (from the energy counter; sampled power without one)");
    /// <summary>Highest sampled power in the window.</summary>
    public static readonly RecordColumn<double?> MaxPowerW = Float("max_power_w", "W", RecordStage.Telemetry, "highest sampled power in the window: each device's highest reading, summed");
    /// <summary>Why there is no power value.</summary>
    public static readonly RecordColumn<string?> PowerMissingReason = Text("power_missing_reason", RecordStage.Energy, "why `avg_power_w` is null");
    /// <summary>The query's energy device by device, each named.</summary>
    public static readonly RecordColumn<IReadOnlyList<DeviceEnergy>?> EnergyByDevice = Add<IReadOnlyList<DeviceEnergy>?>("energy_by_device",
        ColumnType.DeviceList, "J", RecordStage.Energy,
        "the query's energy device by device, one entry per energy counter in the order of summary.json's `energy.by_counter`: `device` (as its source names it: `gpu0`, `gpu1`, `package-0`, `dram`, ...), `energy_j` (its share of that device's energy; they add up to `energy_j`), `active_energy_j` (above that device's own idle power; they add up to `active_energy_j`), `avg_power_w` (its average power over the window; they add up to `avg_power_w`, null where it is); null without energy");
    /// <summary>Accelerator memory in use.</summary>
    public static readonly RecordColumn<long?> GpuMemoryUsedBytes = Int("gpu_memory_used_bytes", "bytes", RecordStage.Telemetry, "accelerator memory in use, max in the window, summed over devices");
    /// <summary>The hottest device temperature in the window.</summary>
    public static readonly RecordColumn<double?> TemperatureC = Float("temperature_c", "°C", RecordStage.Telemetry, "the hottest device temperature in the window");
    /// <summary>Why there is no temperature value.</summary>
    public static readonly RecordColumn<string?> TemperatureMissingReason = Text("temperature_missing_reason", RecordStage.Telemetry, "why `temperature_c` is null");

    /// <summary>Every column, in data-file order.</summary>
    public static IReadOnlyList<RecordColumn> All => Columns;

    /// <summary>The column named <paramref name="name"/>, or null.</summary>
    public static RecordColumn? Find(string name) => ByName.GetValueOrDefault(name);

    private static RecordColumn<string?> Text(string name, RecordStage stage, string description) => Add<string?>(name, ColumnType.String, null, stage, description);
    private static RecordColumn<long?> Int(string name, string? unit, RecordStage stage, string description) => Add<long?>(name, ColumnType.Int64, unit, stage, description);
    private static RecordColumn<double?> Float(string name, string? unit, RecordStage stage, string description) => Add<double?>(name, ColumnType.Float64, unit, stage, description);
    private static RecordColumn<bool?> Bool(string name, RecordStage stage, string description) => Add<bool?>(name, ColumnType.Bool, null, stage, description);
    private static RecordColumn<IReadOnlyList<double>?> FloatList(string name, string? unit, RecordStage stage, string description) =>
        Add<IReadOnlyList<double>?>(name, ColumnType.Float64List, unit, stage, description);

    private static RecordColumn<T> Add<T>(string name, ColumnType type, string? unit, RecordStage stage, string description)
    {
        var column = new RecordColumn<T>(Columns.Count, name, type, unit, stage, description);
        Columns.Add(column);
        ByName.Add(name, column);
        return column;
    }
}
