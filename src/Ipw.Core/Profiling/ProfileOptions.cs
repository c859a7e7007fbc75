namespace Ipw.Core.Profiling;

/// <summary>Everything a profile run needs; front ends (CLI, TUI, scripts) fill it.</summary>
public sealed record ProfileOptions
{
    public string Client { get; init; } = "llamasharp";
    public string? Model { get; init; }
    public string? BaseUrl { get; init; }
    public IReadOnlyDictionary<string, string> ClientSettings { get; init; } = new Dictionary<string, string>();
    public string Dataset { get; init; } = "ipw";
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
    /// <summary>How often summary.json is refreshed during the run.</summary>
    public TimeSpan SummaryInterval { get; init; } = TimeSpan.FromSeconds(5);
}
