using System.Text.Json.Nodes;

namespace Ipw.Core.Summary;

/// <summary>Accuracy and the intelligence metrics of one group of graded queries (the run, or one subject).</summary>
public record TallySection
{
    public int Graded { get; init; }
    public int Correct { get; init; }
    public double? Accuracy { get; init; }
    public double[]? AccuracyCi95 { get; init; }
    public double? MeanEnergyPerQueryJ { get; init; }
    public double? MeanPowerW { get; init; }
    public double? IntelligencePerJoule { get; init; }
    public double? IntelligencePerWatt { get; init; }
    public string? MissingReason { get; init; }
}

/// <summary>The run's intelligence section: the overall tally, per subject, and how it was scored.</summary>
public sealed record IntelligenceSection : TallySection
{
    public int Ungraded { get; init; }
    public string? CiMethod { get; init; }
    public string? Definitions { get; init; }
    public Dictionary<string, TallySection>? BySubject { get; init; }
    /// <summary>When <c>ipw score</c> last graded the run.</summary>
    public string? ScoredAt { get; init; }
    public string? GraderOverride { get; init; }
    public JsonObject? Judge { get; init; }
}
