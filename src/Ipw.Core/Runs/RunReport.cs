using System.Text.Json.Nodes;
using Ipw.Core.Profiling;
using Ipw.Core.Runs;

namespace Ipw.Core.Runs;

/// <summary>The few lines printed when a run ends, read back from what was written (the CLI and scripts print them).</summary>
public static class RunReport
{
    public static void Print(ProfileOutcome outcome, TextWriter? writer = null)
    {
        var output = writer ?? Console.Out;
        output.WriteLine($"{outcome.Status}: {outcome.Queries} queries ({outcome.Errors} errors), {outcome.OutputTokens} output tokens in {outcome.Elapsed.TotalSeconds:F1} s");
        var summaryPath = Path.Combine(outcome.RunPath, RunFolder.SummaryFileName);
        if (File.Exists(summaryPath) && JsonNode.Parse(File.ReadAllText(summaryPath)) is JsonObject summary)
        {
            var totals = summary["totals"];
            if (totals?["mean_e2e_latency_s"] is JsonValue e2e)
            {
                var ttft = totals["mean_ttft_s"] is JsonValue t ? $"{t.GetValue<double>() * 1000:F1} ms" : "n/a";
                var rate = totals["mean_decode_tokens_per_s"] is JsonValue r ? $"{r.GetValue<double>():F0} tok/s" : "n/a";
                output.WriteLine($"mean per query: TTFT {ttft}, end-to-end {e2e.GetValue<double>() * 1000:F1} ms, decode {rate}");
            }
            var energy = summary["energy"];
            if (energy?["available"]?.GetValue<bool>() == true)
            {
                var gross = energy["gross_j"]?.GetValue<double>();
                var active = energy["active_j"] is JsonValue a ? $", active {a.GetValue<double>():F2} J" : "";
                var idle = energy["idle"]?["power_w"] is JsonValue p
                    ? $", idle {p.GetValue<double>():F2} ± {energy["idle"]?["sigma_w"]?.GetValue<double>() ?? 0:F2} W" : ", idle not measured";
                var perToken = energy["j_per_output_token"] is JsonValue j ? $"; {j.GetValue<double>():G4} J/output token" : "";
                output.WriteLine($"energy: {gross:F2} J{active}{idle} from {energy["source"]}{perToken}");
            }
            else output.WriteLine($"energy: not measured — {energy?["reason"]}");
            if (summary["intelligence"] is JsonObject intelligence && intelligence["graded"]?.GetValue<int>() is > 0 and var graded)
            {
                var ci = intelligence["accuracy_ci95"]?.AsArray();
                var ipj = intelligence["intelligence_per_joule"] is JsonValue j ? $"; {j.GetValue<double>():G4} per joule" : "";
                var ipw = intelligence["intelligence_per_watt"] is JsonValue w ? $", {w.GetValue<double>():G4} per watt" : "";
                output.WriteLine($"accuracy: {intelligence["correct"]}/{graded} = {intelligence["accuracy"]!.GetValue<double>():P1} "
                    + $"(95 % CI {ci?[0]?.GetValue<double>():P1}–{ci?[1]?.GetValue<double>():P1}){ipj}{ipw}");
            }
            if (summary["load"]?["warnings"] is JsonArray warnings)
                foreach (var warning in warnings) output.WriteLine($"warning: {warning}");
        }
        output.WriteLine($"run saved to {outcome.RunPath}");
    }
}
