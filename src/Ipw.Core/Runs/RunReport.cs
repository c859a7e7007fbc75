using Ipw.Core.Profiling;
using Ipw.Core.Runs;
using Ipw.Core.Summary;

namespace Ipw.Core.Runs;

/// <summary>The lines printed when a run ends, read back from what was written (the CLI and scripts print them): a few of
/// ipw's, then vLLM's serving block (<see cref="ServingReport"/>).</summary>
public static class RunReport
{
    public static void Print(ProfileOutcome outcome, TextWriter output)
    {
        output.WriteLine($"{outcome.Status}: {outcome.Queries} queries ({outcome.Errors} errors), {outcome.OutputTokens} output tokens in {outcome.Elapsed.TotalSeconds:F1} s");
        var summaryPath = Path.Combine(outcome.RunPath, RunStore.SummaryFileName);
        if (File.Exists(summaryPath) && SummaryFile.Read(summaryPath) is var summary)
        {
            if (summary.Totals is { MeanE2eLatencyS: { } e2e } totals)
            {
                var ttft = totals.MeanTtftS is { } t ? $"{t * 1000:F1} ms" : "n/a";
                var rate = totals.MeanDecodeTokensPerS is { } r ? $"{r:F0} tok/s" : "n/a";
                output.WriteLine($"mean per query: TTFT {ttft}, end-to-end {e2e * 1000:F1} ms, decode rate {rate} (each query's own; the run's output throughput is below)");
                if (totals.ServerTimings is { Queries: > 0 } st)
                    output.WriteLine($"server's own timings ({st.Queries} queries): prompt eval {st.ServerPromptEvalS / st.Queries * 1000:F1} ms of TTFT "
                        + $"{st.ClientTtftS / st.Queries * 1000:F1} ms, generation {st.ServerEvalS / st.Queries * 1000:F1} ms of decode {st.ClientDecodeS / st.Queries * 1000:F1} ms "
                        + $"(outside the server: TTFT p50 {st.TtftLessPromptEvalS?.P50 * 1000:F1} / p99 {st.TtftLessPromptEvalS?.P99 * 1000:F1} ms)");
            }
            if (summary.Counts is { Retried: > 0 } counts)
                output.WriteLine($"sent again: {counts.Retried} queries" + (counts.Reconnected > 0
                    ? $", {counts.Reconnected} of them on a new connection because the server had closed the kept-alive one" : ""));
            if (summary.Energy is { Available: true } energy)
            {
                var active = energy.ActiveJ is { } a ? $", active {a:F2} J" : "";
                var idle = energy.Idle?.PowerW is not { } p ? ", idle not measured"
                    : energy.Idle.DriftW is { } drift ? $", idle {p:F2} → {p + drift:F2} W" + (energy.Idle.Flags?.Contains("baseline_drift") == true ? " (drifted: interpolated)" : "")
                    : $", idle {p:F2} W" + (energy.Idle.SigmaW is { } sigma ? $" ± {sigma:F2}" : "");
                var perToken = energy.JPerOutputToken is { } j ? $"; {j:G4} J/output token" : "";
                output.WriteLine($"energy: {energy.GrossJ:F2} J{active}{idle} from {energy.Source}{perToken}");
            }
            // Energy not measured was said when the run started (and stays in summary.json): the table's n/a rows say it again.
            if (summary.Intelligence is { Graded: > 0 } intelligence)
            {
                var ci = intelligence.AccuracyCi95;
                var ipj = intelligence.IntelligencePerJoule is { } j ? $"; {j:G4} per joule" : "";
                var ipw = intelligence.IntelligencePerWatt is { } w ? $", {w:G4} per watt" : "";
                output.WriteLine($"accuracy: {intelligence.Correct}/{intelligence.Graded} = {intelligence.Accuracy:P1} "
                    + $"(95 % CI {ci?[0]:P1}–{ci?[1]:P1}){ipj}{ipw}");
            }
            foreach (var warning in summary.Load?.Warnings ?? []) output.WriteLine($"warning: {warning}");
            ServingReport.Print(summary, output);
        }
        output.WriteLine($"run saved to {outcome.RunPath}");
    }
}
