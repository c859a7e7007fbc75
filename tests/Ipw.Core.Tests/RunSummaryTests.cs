using System.Text.Json;
using Ipw.Core.Summary;

namespace Ipw.Core.Tests;

public sealed class RunSummaryTests
{
    /// <summary>A summary.json as ipw wrote it before schema_version existed, with a key this version does not know.</summary>
    private const string OldRun = """
        {
          "ipw_version": "0.1.0",
          "status": "completed",
          "failure": null,
          "config": { "client": "openai", "load_mode": "closed", "concurrency": 4 },
          "counts": { "queries": 12, "records_on_disk": 12, "ok": 11, "errors": 1, "errors_by_class": { "timeout": 1 } },
          "totals": { "output_tokens": 300, "e2e_latency_s": { "count": 12, "mean": 0.5, "p50": 0.4, "p90": 0.9, "p99": 1.1, "max": 1.2 } },
          "energy": { "available": true, "gross_j": 41.5, "idle": { "power_w": 60.2, "before": { "power_w": 60.2, "sigma_w": 0.3, "energy_j": 602, "duration_s": 10, "bins": 10 } } },
          "intelligence": { "graded": 10, "correct": 7, "accuracy": 0.7, "accuracy_ci95": [0.39, 0.89], "by_subject": { "math": { "graded": 10, "correct": 7 } } },
          "a_newer_section": { "x": 1 }
        }
        """;

    [Fact]
    public void A_summary_written_before_schema_version_still_loads_and_keeps_what_it_does_not_know()
    {
        var s = SummaryFile.Deserialize(OldRun);
        Assert.Equal(0, s.SchemaVersion);
        Assert.Equal("completed", s.Status);
        Assert.Equal(4, s.Config!.Concurrency);
        Assert.Equal(12, s.Counts!.RecordsOnDisk);
        Assert.Equal(1, s.Counts.ErrorsByClass!["timeout"]);
        Assert.Equal(0.4, s.Totals!.E2eLatencyS!.P50);
        Assert.Equal(60.2, s.Energy!.Idle!.Before!.PowerW);
        Assert.Equal(0.89, s.Intelligence!.AccuracyCi95![1]);
        Assert.Equal(7, s.Intelligence.BySubject!["math"].Correct);

        // Rewritten (as ipw score does), the unknown section survives and the known keys keep their names.
        using var again = JsonDocument.Parse(SummaryFile.Serialize(s with { Status = "completed" }));
        Assert.Equal(1, again.RootElement.GetProperty("a_newer_section").GetProperty("x").GetInt32());
        Assert.Equal(300, again.RootElement.GetProperty("totals").GetProperty("output_tokens").GetInt64());
        Assert.Equal(JsonValueKind.Null, again.RootElement.GetProperty("failure").ValueKind);
    }

    [Fact]
    public void A_file_that_is_not_a_summary_is_a_user_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ipw-summary-{Environment.ProcessId}.json");
        File.WriteAllText(path, "{ \"status\": [1, 2] }");
        try
        {
            var e = Assert.Throws<UserError>(() => SummaryFile.Read(path));
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
