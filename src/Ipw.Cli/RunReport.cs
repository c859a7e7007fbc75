using System.Text.Json.Nodes;
using Ipw.Core.Profiling;
using Ipw.Core.Runs;

namespace Ipw.Cli;

/// <summary>The few lines printed when a run ends, read back from what was written.</summary>
internal static class RunReport
{
    public static void Print(ProfileOutcome outcome)
    {
        Console.WriteLine($"{outcome.Status}: {outcome.Queries} queries ({outcome.Errors} errors), {outcome.OutputTokens} output tokens in {outcome.Elapsed.TotalSeconds:F1} s");
        var summaryPath = Path.Combine(outcome.RunPath, RunFolder.SummaryFileName);
        if (File.Exists(summaryPath) && JsonNode.Parse(File.ReadAllText(summaryPath)) is JsonObject summary)
        {
            var energy = summary["energy"];
            Console.WriteLine(energy?["available"]?.GetValue<bool>() == true
                ? $"energy: {energy["total_j"]} J from {energy["source"]}"
                : $"energy: not measured — {energy?["reason"]}");
        }
        Console.WriteLine($"run saved to {outcome.RunPath}");
    }
}
