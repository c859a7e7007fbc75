using System.Globalization;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core.Analysis;
using Ipw.Core.Profiling;
using Ipw.Core.Runs;
using Ipw.Core.Scoring;
using Ipw.Core.Summary;

namespace Ipw.Scripting;

/// <summary>
/// A run folder, as scripts see it: its summary's headline numbers, its per-query columns, and a place to write
/// analyses. Returned by <see cref="ScriptGlobals.Profile(ProfileOptions, bool, JudgeSettings?)"/> and <see cref="ScriptGlobals.Runs"/>.
/// A number that was not measured is null, never zero.
/// </summary>
public sealed class RunHandle
{
    private RunView? _view;
    private RunSummary? _summary;

    internal RunHandle(string directory, ProfileOutcome? outcome = null)
    {
        Path = System.IO.Path.GetFullPath(directory);
        Outcome = outcome;
    }

    /// <summary>The run folder.</summary>
    public string Path { get; }

    /// <summary>The folder's name without "profile_": hardware and model.</summary>
    public string Label => System.IO.Path.GetFileName(Path) is var n && n.StartsWith("profile_", StringComparison.Ordinal) ? n["profile_".Length..] : System.IO.Path.GetFileName(Path);

    /// <summary>How the run ended, when this script ran it (null for a run read from disk).</summary>
    public ProfileOutcome? Outcome { get; }

    /// <summary>summary.json, read when first asked for (<see cref="Reload"/> reads it again).</summary>
    public RunSummary Summary => _summary ??= RunView.Check(Path).Summary;

    /// <summary>"completed", "interrupted", "aborted", "failed" or "running".</summary>
    public string Status => Summary.Status;

    /// <summary>The model's label.</summary>
    public string Model => Summary.Model?.Label ?? "?";

    /// <summary>The client's name.</summary>
    public string Client => Summary.Client?.Name ?? "?";

    /// <summary>Closed-loop concurrency (null for an open loop).</summary>
    public int? Concurrency => Summary.Config?.LoadMode == "open" ? null : Summary.Config?.Concurrency;

    /// <summary>Queries measured.</summary>
    public int Queries => Summary.Counts?.Queries ?? 0;

    /// <summary>Failed queries.</summary>
    public int Errors => Summary.Counts?.Errors ?? 0;

    /// <summary>Output tokens over the summed end-to-end latency.</summary>
    public double? TokensPerSecond => Summary.Totals?.OutputTokensPerS;

    /// <summary>Median time to first token, seconds.</summary>
    public double? TtftP50S => Summary.Totals?.TtftS?.P50;

    /// <summary>Median end-to-end latency, seconds.</summary>
    public double? E2eP50S => Summary.Totals?.E2eLatencyS?.P50;

    /// <summary>99th-percentile end-to-end latency, seconds.</summary>
    public double? E2eP99S => Summary.Totals?.E2eLatencyS?.P99;

    /// <summary>Energy over the measured span (gross), joules; null when no energy counter was available.</summary>
    public double? EnergyJ => Summary.Energy?.GrossJ;

    /// <summary>Joules per output token; null without energy.</summary>
    public double? JoulesPerToken => Summary.Energy?.JPerOutputToken;

    /// <summary>Accuracy over graded queries; null when none was graded.</summary>
    public double? Accuracy => Summary.Intelligence?.Accuracy;

    /// <summary>Accuracy over the mean energy per graded query; null without energy.</summary>
    public double? IntelligencePerJoule => Summary.Intelligence?.IntelligencePerJoule;

    /// <summary>Accuracy over the mean power during graded queries; null without power.</summary>
    public double? IntelligencePerWatt => Summary.Intelligence?.IntelligencePerWatt;

    /// <summary>The run's analysis folder (created when first asked for).</summary>
    public string AnalysisDirectory => Directory.CreateDirectory(System.IO.Path.Combine(Path, RunStore.AnalysisFolderName)).FullName;

    /// <summary>The per-query records, loaded once (numeric columns at once, text columns when asked for).</summary>
    public RunView Records => _view ??= RunView.Open(Path);

    /// <summary>A numeric column, one value per query (NaN where missing): e.g. "energy_j", "ttft_s", "input_tokens".</summary>
    public double[] Column(string name) => Records.Numbers(name);

    /// <summary>A text column, one value per query (null where missing): e.g. "subject", "status", "response".</summary>
    public IReadOnlyList<string?> Texts(string name) => Records.Texts(name);

    /// <summary>Writes <paramref name="result"/> to analysis/&lt;name&gt;.json (indented) and returns the file's path.</summary>
    public string WriteAnalysis(string name, JsonNode result)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"'{name}' is not a usable analysis name", nameof(name));
        var file = System.IO.Path.Combine(AnalysisDirectory, name + ".json");
        AtomicFile.WriteAllText(file, result.ToJsonString(RunStore.Json) + "\n");
        return file;
    }

    /// <summary>Reads summary.json and the records again (after a rescore, say).</summary>
    public void Reload()
    {
        _summary = null;
        _view = null;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Label}: {Status}, {Queries} queries ({Errors} errors), {Value(TokensPerSecond, "0.#")} tok/s, TTFT p50 {Value(TtftP50S * 1000, "0.#")} ms, energy {Value(EnergyJ, "0.##")} J");

    private static string Value(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}
