using Ipw.Core.Energy;

namespace Ipw.Core.Profiling;

/// <summary>How requests arrive in open-loop mode.</summary>
public enum Arrival
{
    /// <summary>Exponential gaps (a Poisson process), seeded from the run's seed.</summary>
    Poisson,
    /// <summary>Evenly spaced sends.</summary>
    Constant,
}

/// <summary>Everything a profile run needs; front ends (CLI, TUI, scripts) fill it.</summary>
public sealed record ProfileOptions
{
    public string Client { get; init; } = "llamasharp";
    public string? Model { get; init; }
    public string? BaseUrl { get; init; }
    public IReadOnlyDictionary<string, string> ClientSettings { get; init; } = new Dictionary<string, string>();
    public string Dataset { get; init; } = "ipw";
    /// <summary>The agent that answers each item with the model and tools (<c>--agent</c>); null: one query per item.</summary>
    public string? Agent { get; init; }
    public IReadOnlyDictionary<string, string> AgentSettings { get; init; } = new Dictionary<string, string>();
    public string? DatasetPath { get; init; }
    public IReadOnlyDictionary<string, string> DatasetSettings { get; init; } = new Dictionary<string, string>();
    /// <summary>Stop after this many measured queries (null: the whole dataset).</summary>
    public int? MaxQueries { get; init; }
    /// <summary>Stop the run once this many queries have failed (null: never).</summary>
    public int? MaxErrors { get; init; }
    /// <summary>Stop the run once more than this fraction of queries has failed, judged after 10 queries (null: never).</summary>
    public double? MaxErrorRate { get; init; }
    public string OutputDir { get; init; } = "runs";
    public int MaxTokens { get; init; } = 128;
    public double Temperature { get; init; } = 0.7;
    /// <summary>Base seed; query i uses seed + i, so runs are repeatable.</summary>
    public int Seed { get; init; }
    /// <summary>Queries sent before measurement starts, kept out of the results.</summary>
    public int Warmup { get; init; } = 1;
    /// <summary>Background telemetry sampling period.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Telemetry sources to use (null: every available one).</summary>
    public IReadOnlyList<string>? TelemetrySources { get; init; }
    /// <summary>What every telemetry source is told: the GPUs that count, source settings (e.g. prometheus.url).</summary>
    public Abstractions.TelemetrySourceOptions TelemetryOptions { get; init; } = Abstractions.TelemetrySourceOptions.Default;
    /// <summary>Closed loop: this many requests in flight at all times (1: sequential).</summary>
    public int Concurrency { get; init; } = 1;
    /// <summary>Open loop: requests per second, sent on schedule whatever the service does (null: closed loop).</summary>
    public double? Rate { get; init; }
    public Arrival Arrival { get; init; } = Arrival.Poisson;
    /// <summary>Open loop: gamma-distributed gaps of this shape and mean 1/rate instead of <see cref="Arrival"/> (vLLM's
    /// <c>--burstiness</c>: 1 is Poisson, below 1 burstier, above 1 more even); null: <see cref="Arrival"/>.</summary>
    public double? Burstiness { get; init; }
    /// <summary>The pause between a replayed conversation's turns (<c>--turn-gap</c>; see <see cref="Load.ThinkTime"/>).</summary>
    public Load.ThinkTime TurnGap { get; init; } = Load.ThinkTime.None;

    /// <summary>The prices and carbon intensity queries are costed at (<c>--energy-price</c>, <c>--carbon</c>,
    /// <c>--price-in</c>, <c>--price-out</c>); null when none was given.</summary>
    public Costs.Pricing? Pricing { get; init; }

    /// <summary>The model's shape for FLOPs (<c>--model-config</c>: a config.json, a folder with one, or a .gguf); null:
    /// the engine's own model file where it has one (<see cref="Costs.ModelShapes"/>).</summary>
    public string? ModelConfig { get; init; }
    /// <summary>Stop sending after this long (the dataset is cycled to fill it); queries in flight complete.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>Idle power is measured for this long before and after the run (zero: not measured).</summary>
    public TimeSpan Baseline { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>A server command the run starts for itself, waits for, and stops at its end (<c>--launch</c>; see
    /// <see cref="Serving.LaunchedServer"/>); null: the service is already running.</summary>
    public string? Launch { get; init; }
    /// <summary>How long the client waits for a service that is still starting; null: it does not wait.</summary>
    public TimeSpan? WaitReady { get; init; }
    public AttributionMethod Attribution { get; init; } = AttributionMethod.Fitted;
    /// <summary>With <see cref="AttributionMethod.Phase"/>: how much a query in prefill weighs against one decoding.</summary>
    public double PrefillWeight { get; init; } = 2;
    /// <summary>The percentiles (0–100) of TTFT, TPOT, ITL and end-to-end latency the serving summary reports besides the
    /// mean and the median (vLLM's <c>--metric-percentiles</c>, whose default is 99).</summary>
    public IReadOnlyList<double> Percentiles { get; init; } = [99];

    /// <summary>Service-level objectives for goodput (<c>--slo</c>); null: goodput is not measured.</summary>
    public ServiceLevel? Slo { get; init; }

    /// <summary>A suffix for the run folder's name (a label; sweep points add "c4", "r2").</summary>
    public string? RunSuffix { get; init; }

    /// <summary>The run's name given by the user (<c>--label</c>), recorded in summary.json; also the folder's suffix.</summary>
    public string? Label { get; init; }

    /// <summary>key=value tags (<c>--tag</c>) recorded in summary.json, for grouping runs afterwards.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>The options as the front end was given them, as TOML (<c>ipw profile --config</c> reads it back), kept
    /// in the run folder as config.toml; null when the front end has none (scripts).</summary>
    public string? ConfigToml { get; init; }

    /// <summary>Whether each record keeps the prompt, the response and the reasoning as text. Grading reads the response
    /// as it arrives either way; without the text a run cannot be rescored or judged later.</summary>
    public bool KeepText { get; init; } = true;

    /// <summary>What showed the run while it was measured ("tui", "bar", "plain", "none", "script"): recorded, since a
    /// live display costs the ipw process some CPU (see docs/commands.md, "The run monitor").</summary>
    public string FrontEnd { get; init; } = "library";

    /// <summary>How open-loop requests arrive, in words: "poisson", "constant", "gamma" (with <see cref="Burstiness"/>) or
    /// "all at once" (an infinite rate); null for a closed loop.</summary>
    public string? ArrivalName => Rate switch
    {
        null => null,
        double.PositiveInfinity => "all at once",
        _ => Burstiness is not null ? "gamma" : Arrival.ToString().ToLowerInvariant(),
    };

    /// <summary>"sequential", "closed" or "open".</summary>
    public string LoadMode => Rate is not null ? "open" : Concurrency > 1 ? "closed" : "sequential";

    /// <summary>Open loop: worker processes that send the queries (1: this process sends them). The schedule is drawn
    /// here once and split among them; this process keeps the telemetry, the energy attribution and the run folder.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>"host:port": wait there for <see cref="Workers"/> workers started elsewhere (<c>ipw worker --connect</c>)
    /// instead of starting them on this machine.</summary>
    public string? WorkersListen { get; init; }

    /// <summary>How often summary.json is refreshed during the run.</summary>
    public TimeSpan SummaryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Refuses options that cannot run, with the option's name and the value given.</summary>
    public void Validate()
    {
        if (MaxQueries is < 1) throw new UserError($"--max-queries must be at least 1, got {MaxQueries}");
        if (MaxTokens < 1) throw new UserError($"--max-tokens must be at least 1, got {MaxTokens}");
        if (Temperature is < 0 or > 10 || double.IsNaN(Temperature)) throw new UserError($"--temperature must be between 0 and 10, got {Temperature}");
        if (Warmup < 0) throw new UserError($"--warmup must be 0 or more, got {Warmup}");
        if (Concurrency < 1) throw new UserError($"--concurrency must be a whole number of at least 1, got {Concurrency}");
        if (Rate is { } rate && (!(rate > 0) || (rate > 1e6 && !double.IsPositiveInfinity(rate))))
            throw new UserError($"--rate must be a positive number of requests per second, or inf, got {rate}");
        if (Rate is double.PositiveInfinity && Duration is not null && MaxQueries is null)
            throw new UserError("--rate inf sends every query at once: with --duration, give --max-queries too");
        if (Burstiness is { } k)
        {
            if (!(k > 0) || double.IsInfinity(k)) throw new UserError($"--burstiness must be a positive number, got {k}");
            if (Rate is null) throw new UserError("--burstiness shapes open-loop arrivals: give --rate too");
            if (Rate is double.PositiveInfinity) throw new UserError("--burstiness does not apply to --rate inf (every query is sent at once)");
            if (Arrival == Arrival.Constant) throw new UserError("--burstiness replaces --arrival (gamma-distributed gaps): drop --arrival constant");
        }
        if (Rate is not null && Concurrency > 1) throw new UserError("--rate (open loop) and --concurrency (closed loop) cannot be combined");
        if (Workers is < 1 or > 256) throw new UserError($"--workers must be a whole number from 1 to 256, got {Workers}");
        if ((Workers > 1 || WorkersListen is not null) && Rate is null)
            throw new UserError("--workers splits an open-loop schedule among processes: give --rate too");
        if ((Workers > 1 || WorkersListen is not null) && Rate is double.PositiveInfinity)
            throw new UserError("--workers needs a finite --rate (every query at once has no schedule to split)");
        if (Duration is { } d && d <= TimeSpan.Zero) throw new UserError($"--duration must be positive, got {d.TotalSeconds} s");
        if (Baseline < TimeSpan.Zero) throw new UserError($"--baseline must be 0 or more, got {Baseline.TotalSeconds} s");
        if (!(PrefillWeight > 0) || double.IsInfinity(PrefillWeight)) throw new UserError($"--prefill-weight must be a positive number, got {PrefillWeight}");
        if (Percentiles.Count == 0 || Percentiles.Any(p => !(p is >= 0 and <= 100)))
            throw new UserError($"--percentiles must be numbers from 0 to 100, got '{string.Join(',', Percentiles)}'");
        if (SampleInterval <= TimeSpan.Zero || SampleInterval > TimeSpan.FromSeconds(10))
            throw new UserError($"--sample-interval must be between 0 and 10 seconds, got {SampleInterval.TotalSeconds}");
    }
}
