using System.Text;
using System.Text.Json;
using Ipw.Abstractions;

namespace IpwPlugin1;

/// <summary>Counts each run's queries and averages their end-to-end latency, leaving out queries where it is missing
/// (never counting them as 0): replace with your analysis. Files go through the sink, into the run's analysis/ folder.</summary>
internal sealed class LatencyCount : IAnalysis
{
    public Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var rows = new List<string>();
        var headline = new Dictionary<string, double?>();
        var warnings = new List<string>();
        var perRun = new Dictionary<string, object?>();
        foreach (var run in context.Runs)
        {
            var e2e = run.Columns.Contains("e2e_latency_s") ? run.Numbers("e2e_latency_s").Where(double.IsFinite).ToArray() : [];
            double? mean = e2e.Length > 0 ? e2e.Average() : null;
            if (e2e.Length < run.RecordCount) warnings.Add($"{run.Label}: {run.RecordCount - e2e.Length} queries have no end-to-end latency");
            rows.Add($"{run.Label}  {run.RecordCount} queries  mean e2e {(mean is { } m ? $"{m * 1000:F2} ms" : "n/a")}");
            headline[$"{run.Label}.mean_e2e_s"] = mean;
            perRun[run.Label] = new { queries = run.RecordCount, mean_e2e_s = mean };
        }
        var file = context.Output.Write("ipwplugin1.json", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(perRun)));
        return Task.FromResult(new AnalysisResult([file], string.Join('\n', rows) + "\n", headline, warnings));
    }
}
