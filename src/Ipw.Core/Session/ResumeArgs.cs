using System.Globalization;
using Ipw.Abstractions;
using Ipw.Core.Summary;

namespace Ipw.Core.Session;

/// <summary>What a user may give again when resuming a run: what summary.json never records (the base URL's credentials,
/// header values), how long to wait for the service, the telemetry to read, the front end. Everything else is the run's.</summary>
public sealed record ResumeOverrides
{
    public string? BaseUrl { get; init; }
    public IReadOnlyDictionary<string, string> ClientParams { get; init; } = new Dictionary<string, string>();
    public string? WaitReady { get; init; }
    /// <summary>The server command to launch instead of the one recorded (which a secret option leaves incomplete).</summary>
    public string? Launch { get; init; }
    public string? Energy { get; init; }
    public string? Gpus { get; init; }
    public IReadOnlyDictionary<string, string> TelemetrySettings { get; init; } = new Dictionary<string, string>();
    public string FrontEnd { get; init; } = "library";
}

/// <summary>
/// A resumed run's options: its config as summary.json gives it, mapped back onto <see cref="ProfileArgs"/> (so every
/// value is checked the one way), with the <see cref="ResumeOverrides"/>. A header the run sent must be given again (its
/// value was never written); a client setting may be given again only with the value it had.
/// </summary>
public static class ResumeArgs
{
    public static ProfileArgs From(RunConfig c, ResumeOverrides o, string folder)
    {
        var recorded = new Dictionary<string, string>(c.ClientSettings ?? [], StringComparer.OrdinalIgnoreCase);
        var missing = recorded.Where(p => p.Value == RunConfig.ValueNotRecorded && !o.ClientParams.ContainsKey(p.Key)).Select(p => p.Key).ToList();
        if (missing.Count > 0)
            throw new UserError($"--resume: the run sent {string.Join(", ", missing)}, whose value is not recorded: give it again with --client-param {missing[0]}=VALUE");
        foreach (var (key, value) in o.ClientParams)
            if (recorded.TryGetValue(key, out var was) && was != RunConfig.ValueNotRecorded && was != value)
                throw new UserError($"--client-param {key}={value}: the run used {key}={was}, and a resumed run keeps its settings");
            else if (!recorded.ContainsKey(key) && !RunConfig.IsSecret(key))
                throw new UserError($"--client-param {key}: the run did not use it, and a resumed run keeps its settings");
        var settings = new Dictionary<string, string>(recorded, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in o.ClientParams) settings[key] = value;

        var baseUrl = c.ClientBaseUrl;
        if (o.BaseUrl is { } given)
        {
            if (c.ClientBaseUrl is { } was && UrlText.WithoutUserInfo(given) != was)
                throw new UserError($"--client-base-url: the run was measured against {was}; resuming, it may only add credentials to that address");
            baseUrl = given;
        }
        return new ProfileArgs
        {
            Client = c.Client!,
            Model = c.Model,
            BaseUrl = baseUrl,
            WaitReady = o.WaitReady,
            Launch = o.Launch ?? c.Launch,
            ClientParams = settings,
            Dataset = c.Dataset!,
            Agent = c.Agent,
            AgentParams = c.AgentSettings ?? [],
            DatasetPath = c.DatasetPath,
            DatasetParams = c.DatasetSettings ?? [],
            MaxQueries = c.MaxQueries,
            MaxErrors = c.MaxErrors?.ToString(CultureInfo.InvariantCulture) ?? (c.MaxErrorRate is { } rate ? Number(rate * 100) + "%" : null),
            OutputDir = Path.GetDirectoryName(folder)!,
            MaxTokens = c.MaxTokens ?? 128,
            Temperature = c.Temperature ?? 0.7,
            Seed = c.Seed ?? 0,
            Warmup = c.Warmup ?? 1,
            SampleIntervalS = c.SampleIntervalS ?? 0.05,
            Energy = o.Energy,
            Gpus = o.Gpus,
            TelemetrySettings = o.TelemetrySettings,
            Concurrency = c.Concurrency ?? 1,
            Rate = c.RatePerS,
            Arrival = c.Arrival == "constant" ? "constant" : "poisson",
            Burstiness = c.Burstiness,
            TurnGap = c.TurnGap,
            EnergyPrice = c.Pricing?.EnergyPerKwh is { } kwh ? Number(kwh) : null,
            Carbon = c.Pricing?.CarbonGPerKwh is { } g ? Number(g) : null,
            PriceIn = c.Pricing?.InputPerMillionTokens,
            PriceOut = c.Pricing?.OutputPerMillionTokens,
            Baseline = Number(c.BaselineS ?? 10) + "s",
            Percentiles = c.Percentiles is { Count: > 0 } p ? string.Join(',', p.Select(Number)) : null,
            Slo = c.SloMs is { Count: > 0 } slo ? string.Join(',', slo.Select(s => $"{s.Key}={Number(s.Value)}ms")) : null,
            Attribution = c.Attribution ?? "fitted",
            PrefillWeight = c.PrefillWeight ?? 2,
            FrontEnd = o.FrontEnd,
            KeepText = c.KeepText ?? true,
            Label = c.Label,
            Tags = c.Tags ?? [],
        };
    }

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
