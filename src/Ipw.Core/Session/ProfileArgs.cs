using System.Globalization;
using Ipw.Core.Energy;
using Ipw.Core.Profiling;
using Ipw.Core.Serving;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Session;

/// <summary>
/// A profile as a user asks for it from any front end: the CLI's options and the script API's parameters, as typed.
/// <see cref="ToOptions"/> is the one mapping onto <see cref="ProfileOptions"/> and the one place each value is checked,
/// with the option's name in every message.
/// </summary>
public sealed record ProfileArgs
{
    public string Client { get; init; } = "llamasharp";
    public string? Model { get; init; }
    public string? BaseUrl { get; init; }
    /// <summary>A server command the run starts, waits for and stops (<c>--launch</c>; null: the service is running).</summary>
    public string? Launch { get; init; }
    /// <summary>"60s": wait this long for a service that is still starting before the warm-up (null: do not wait).</summary>
    public string? WaitReady { get; init; }
    /// <summary>key=value client settings (--client-param).</summary>
    public IReadOnlyDictionary<string, string> ClientParams { get; init; } = new Dictionary<string, string>();
    /// <summary>Engine threads (llamasharp, torchsharp): the client setting "threads".</summary>
    public int? Threads { get; init; }
    /// <summary>Engine context window: the client setting "context_size".</summary>
    public int? ContextSize { get; init; }
    public string Dataset { get; init; } = "ipw";
    /// <summary>The agent (<c>--agent</c>) and its key=value settings (<c>--agent-param</c>).</summary>
    public string? Agent { get; init; }
    public IReadOnlyDictionary<string, string> AgentParams { get; init; } = new Dictionary<string, string>();
    public string? DatasetPath { get; init; }
    public IReadOnlyDictionary<string, string> DatasetParams { get; init; } = new Dictionary<string, string>();
    public int? MaxQueries { get; init; }
    /// <summary>"10" (a count) or "5%" (a share, judged after 10 queries).</summary>
    public string? MaxErrors { get; init; }
    public string OutputDir { get; init; } = "runs";
    public int MaxTokens { get; init; } = 128;
    public double Temperature { get; init; } = 0.7;
    public int Seed { get; init; }
    public int Warmup { get; init; } = 1;
    /// <summary>Seconds between telemetry samples.</summary>
    public double SampleIntervalS { get; init; } = 0.05;
    /// <summary>Telemetry backends, comma-separated (null: every one used by default).</summary>
    public string? Energy { get; init; }
    /// <summary>GPU indices whose telemetry counts ("0,1"); null: IPW_GPUS, else CUDA_VISIBLE_DEVICES, else all.</summary>
    public string? Gpus { get; init; }
    /// <summary>Telemetry source settings ("prometheus.url", ...).</summary>
    public IReadOnlyDictionary<string, string> TelemetrySettings { get; init; } = new Dictionary<string, string>();
    public int Concurrency { get; init; } = 1;
    public double? Rate { get; init; }
    /// <summary>"poisson" or "constant".</summary>
    public string Arrival { get; init; } = "poisson";
    /// <summary>Gamma-distributed open-loop gaps of this shape (vLLM's --burstiness; 1 is Poisson).</summary>
    public double? Burstiness { get; init; }
    /// <summary>"0s", "2s" or "normal:MEAN,SD": the pause between a replayed conversation's turns (null: none).</summary>
    public string? TurnGap { get; init; }

    /// <summary><c>--energy-price</c> (e.g. 0.15/kWh), <c>--carbon</c> (e.g. 400g/kWh), <c>--price-in</c> and
    /// <c>--price-out</c> (per million tokens).</summary>
    public string? EnergyPrice { get; init; }
    public string? Carbon { get; init; }
    public double? PriceIn { get; init; }
    public double? PriceOut { get; init; }

    /// <summary><c>--model-config</c>: the model's config.json, a folder with one, or a .gguf, for FLOPs per query.</summary>
    public string? ModelConfig { get; init; }
    /// <summary>"60s", "5m": stop sending after this long.</summary>
    public string? Duration { get; init; }
    /// <summary>Idle baseline before and after, e.g. "10s" ("0" turns it off).</summary>
    public string Baseline { get; init; } = "10s";
    /// <summary>"50,90,99": the percentiles of TTFT, TPOT, ITL and E2E latency reported besides mean and median (null: 99).</summary>
    public string? Percentiles { get; init; }
    /// <summary>"ttft=200ms,tpot=50ms,e2e=5s" (any subset): the objectives goodput counts queries against.</summary>
    public string? Slo { get; init; }
    /// <summary>"overlap", "phase" or "fitted".</summary>
    public string Attribution { get; init; } = "fitted";
    public double PrefillWeight { get; init; } = 2;
    public string? Suffix { get; init; }
    /// <summary>The run's name (<c>--label</c>): recorded in summary.json and the folder's suffix.</summary>
    public string? Label { get; init; }
    /// <summary>key=value tags (<c>--tag</c>) recorded in summary.json.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>Open loop: worker processes that send the queries (see <see cref="ProfileOptions.Workers"/>).</summary>
    public int Workers { get; init; } = 1;
    /// <summary>"host:port" where workers started elsewhere connect (see <see cref="ProfileOptions.WorkersListen"/>).</summary>
    public string? WorkersListen { get; init; }
    public string FrontEnd { get; init; } = "library";
    /// <summary>Keep the prompt, response and reasoning text in each record (see <see cref="ProfileOptions.KeepText"/>).</summary>
    public bool KeepText { get; init; } = true;

    /// <summary>The checked options.</summary>
    /// <exception cref="UserError">A value that cannot work, named.</exception>
    public ProfileOptions ToOptions()
    {
        var (errorCount, errorRate) = ParseMaxErrors(MaxErrors);
        var settings = new Dictionary<string, string>(ClientParams, StringComparer.OrdinalIgnoreCase);
        if (Threads is { } t) settings["threads"] = t.ToString(CultureInfo.InvariantCulture);
        if (ContextSize is { } c) settings["context_size"] = c.ToString(CultureInfo.InvariantCulture);
        var options = new ProfileOptions
        {
            Client = Client,
            Model = Model,
            BaseUrl = BaseUrl,
            Launch = string.IsNullOrWhiteSpace(Launch) ? (Launch is null ? null : throw new UserError("--launch needs the server's command, e.g. --launch \"llama-server -m model.gguf --port 8080\""))
                : Launch.Contains(LaunchedServer.Redaction, StringComparison.Ordinal)
                    ? throw new UserError("--launch: the command had a secret that was not recorded: give the command again with --launch")
                    : Launch,
            WaitReady = WaitReady is null ? null : Durations.Parse("--wait-ready", WaitReady, allowZero: false),
            ClientSettings = settings,
            Dataset = Dataset,
            Agent = Agent,
            AgentSettings = new Dictionary<string, string>(AgentParams, StringComparer.OrdinalIgnoreCase),
            DatasetPath = DatasetPath,
            DatasetSettings = new Dictionary<string, string>(DatasetParams, StringComparer.OrdinalIgnoreCase),
            MaxQueries = MaxQueries,
            MaxErrors = errorCount,
            MaxErrorRate = errorRate,
            OutputDir = OutputDir,
            MaxTokens = MaxTokens,
            Temperature = Temperature,
            Seed = Seed,
            Warmup = Warmup,
            SampleInterval = TimeSpan.FromSeconds(SampleIntervalS),
            TelemetrySources = Energy?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } names ? names : null,
            TelemetryOptions = TelemetrySources.Options(ParseGpus("--gpus", Gpus), TelemetrySettings),
            Concurrency = Concurrency,
            Rate = Rate,
            Arrival = Arrival switch
            {
                "poisson" => Profiling.Arrival.Poisson,
                "constant" => Profiling.Arrival.Constant,
                _ => throw new UserError($"--arrival must be poisson or constant, got '{Arrival}'"),
            },
            Burstiness = Burstiness,
            Duration = Duration is null ? null : Durations.Parse("--duration", Duration, allowZero: false),
            TurnGap = TurnGap is null ? Load.ThinkTime.None : Load.ThinkTime.Parse(TurnGap),
            Pricing = Costs.Pricing.Parse(EnergyPrice, Carbon, PriceIn, PriceOut),
            ModelConfig = ModelConfig is null ? null : Path.GetFullPath(ModelConfig),
            Baseline = Durations.Parse("--baseline", Baseline, allowZero: true),
            Attribution = Attribution switch
            {
                "overlap" => AttributionMethod.Overlap,
                "phase" => AttributionMethod.Phase,
                "fitted" => AttributionMethod.Fitted,
                _ => throw new UserError($"--attribution must be overlap, phase or fitted, got '{Attribution}'"),
            },
            PrefillWeight = PrefillWeight,
            Percentiles = Percentiles is null ? [99] : ParsePercentiles(Percentiles),
            Slo = Slo is null ? null : ServiceLevel.Parse(Slo),
            RunSuffix = Suffix ?? CheckLabel(Label),
            Label = Label,
            Tags = new Dictionary<string, string>(Tags, StringComparer.Ordinal),
            Workers = Workers,
            WorkersListen = WorkersListen,
            FrontEnd = FrontEnd,
            KeepText = KeepText,
        };
        options.Validate();
        return options;
    }

    /// <summary>A label names a folder: letters, digits, '.', '-' and '_' only.</summary>
    private static string? CheckLabel(string? label)
    {
        if (label is null) return null;
        if (label.Length is 0 or > 64 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') || label.StartsWith('.'))
            throw new UserError($"--label '{label}': use 1 to 64 letters, digits, '.', '-' or '_' (it names the run folder)");
        return label;
    }

    /// <summary>"key=value" pairs, as --client-param, --dataset-option and --load-param take them.</summary>
    public static Dictionary<string, string> ParseSettings(string option, IEnumerable<string> pairs)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new UserError($"{option} expects key=value, got '{pair}'");
            settings[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        return settings;
    }

    /// <summary>"50,90,99" (each from 0 to 100; a repeat counts once), in the order given.</summary>
    public static IReadOnlyList<double> ParsePercentiles(string text)
    {
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || !(p is >= 0 and <= 100))
                throw new UserError($"--percentiles expects numbers from 0 to 100 separated by commas, e.g. 50,90,99; got '{text}'");
            if (!values.Contains(p)) values.Add(p);
        }
        return values;
    }

    private static (int? Count, double? Rate) ParseMaxErrors(string? text)
    {
        if (text is null) return (null, null);
        var t = text.Trim();
        if (t.EndsWith('%') && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var pct) && pct is > 0 and <= 100)
            return (null, pct / 100);
        if (int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1) return (n, null);
        throw new UserError($"--max-errors expects a count (e.g. 10) or a percentage (e.g. 5%), got '{text}'");
    }

    /// <summary>GPU indices as <paramref name="option"/> was given them ("0,1"), checked; null when not given.</summary>
    public static string? ParseGpus(string option, string? value)
    {
        if (value is null) return null;
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => !int.TryParse(p, out var i) || i < 0))
            throw new UserError($"{option} expects GPU indices such as 0,1, got '{value}'");
        return string.Join(',', parts);
    }
}
