using Ipw.Core.Runs;
using Ipw.Core.Session;
using Ipw.Core.Summary;

namespace Ipw.Core.Tests;

/// <summary>The block ipw profile prints at the end: vLLM's bench serve labels and layout, ipw's figures after, n/a for
/// what was not measured.</summary>
public sealed class ServingReportTests
{
    private static string Print(RunSummary summary)
    {
        var text = new StringWriter();
        ServingReport.Print(summary, text);
        return text.ToString().ReplaceLineEndings("\n");
    }

    private static ServingSection Section(IReadOnlyList<double> percentiles)
    {
        var tally = new ServingTally();
        tally.Add(true, 100, 11, 0.020, 0.004, 0.060, [0.003, 0.004, 0.005]);
        tally.Add(true, 300, 21, 0.040, 0.006, 0.160, [0.006, 0.006]);
        tally.Add(false, null, null, null, null, 1, []);
        return tally.ToSection(percentiles, durationS: 2.0);
    }

    [Fact]
    public void The_block_has_vllms_labels_and_layout_with_the_chosen_percentiles()
    {
        var summary = new RunSummary
        {
            Serving = Section([50, 99.9]) with { MaxConcurrency = 4 },
            Energy = new EnergySection { Available = false, Reason = "no counter" },
        };
        var lines = Print(summary).Split('\n');
        Assert.Equal("============ Serving Benchmark Result ============", lines[0]);
        Assert.Contains("Successful requests:                     2", lines);
        Assert.Contains("Failed requests:                         1", lines);
        Assert.Contains("Maximum request concurrency:             4", lines);
        Assert.Contains("Benchmark duration (s):                  2.00", lines);
        Assert.Contains("Total input tokens:                      400", lines);
        Assert.Contains("Total generated tokens:                  32", lines);
        Assert.Contains("Request throughput (req/s):              1.00", lines);
        Assert.Contains("Output token throughput (tok/s):         16.00", lines);
        Assert.Contains("Total token throughput (tok/s):          216.00", lines);
        Assert.Contains("---------------Time to First Token----------------", lines);
        Assert.Contains("-----Time per Output Token (excl. 1st token)------", lines);
        Assert.Contains("---------------Inter-token Latency----------------", lines);
        Assert.Contains("----------------End-to-end Latency----------------", lines);
        Assert.Contains("Mean TTFT (ms):                          30.00", lines);
        Assert.Contains("Median TTFT (ms):                        30.00", lines);
        Assert.Contains("P50 TTFT (ms):                           30.00", lines);
        Assert.Contains("P99.9 TTFT (ms):                         39.98", lines);
        Assert.Contains("Mean TPOT (ms):                          5.00", lines);
        Assert.Contains("Mean ITL (ms):                           4.80", lines);  // 3, 4, 5, 6, 6 pooled
        Assert.Contains("Median ITL (ms):                         5.00", lines);
        Assert.Contains("Mean E2EL (ms):                          110.00", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("P99 ", StringComparison.Ordinal)); // not asked for
        // ipw's own figures after vLLM's: not measured is n/a, never 0.
        Assert.Contains("Energy per request (J):                  n/a", lines);
        Assert.Contains("Energy per output token (J):             n/a", lines);
        Assert.Contains("Mean power (W):                          n/a", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("Accuracy", StringComparison.Ordinal)); // not graded
        Assert.Equal(new string('=', 50), lines[^2]);
        Assert.All(lines, l => Assert.False(l.EndsWith(' '), l)); // vLLM pads values to 10 columns; the blanks are dropped
    }

    [Fact]
    public void Energy_and_intelligence_follow_when_measured_and_missing_latencies_are_na()
    {
        var tally = new ServingTally();
        tally.Add(true, 100, null, null, null, 0.5, []);   // no first token, no output count, no gaps
        var summary = new RunSummary
        {
            Serving = tally.ToSection([99], durationS: 1) with { RequestRate = 4 },
            Energy = new EnergySection { Available = true, AvgPowerW = 212.5, JPerOutputToken = 0.01234, PerQueryJ = new DistributionSummary(1, 106.5, null, null, null, null) },
            Intelligence = new IntelligenceSection { Graded = 1, Correct = 1, Accuracy = 1, IntelligencePerJoule = 0.009412, IntelligencePerWatt = 0.004706 },
        };
        var lines = Print(summary).Split('\n');
        Assert.Contains("Request rate configured (RPS):           4.00", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("Maximum request concurrency", StringComparison.Ordinal));
        Assert.Contains("Total generated tokens:                  n/a", lines);
        Assert.Contains("Output token throughput (tok/s):         n/a", lines);
        Assert.Contains("Mean TTFT (ms):                          n/a", lines);
        Assert.Contains("P99 ITL (ms):                            n/a", lines);
        Assert.Contains("Energy per request (J):                  106.5", lines);
        Assert.Contains("Energy per output token (J):             0.01234", lines);
        Assert.Contains("Mean power (W):                          212.50", lines);
        Assert.Contains("Accuracy (%):                            100.00", lines);
        Assert.Contains("Intelligence per joule (1/J):            0.009412", lines);
        Assert.Contains("Intelligence per watt (1/W):             0.004706", lines);
        Assert.DoesNotContain(lines, l => l.Contains("goodput", StringComparison.Ordinal) || l.Contains("SLO", StringComparison.Ordinal));
    }

    [Fact]
    public void Under_objectives_the_block_has_vllms_goodput_line_and_ipws_share()
    {
        var tally = new ServingTally(Profiling.ServiceLevel.Parse("e2e=100ms"));
        tally.Add(true, 1, 2, 0.01, 0.01, 0.05, []);
        tally.Add(true, 1, 2, 0.01, 0.01, 0.50, []);
        var lines = Print(new RunSummary { Serving = tally.ToSection([99], durationS: 4) }).Split('\n');
        var throughput = Array.IndexOf(lines, "Request throughput (req/s):              0.50");
        Assert.Equal("Request goodput (req/s):                 0.25", lines[throughput + 1]);
        Assert.Contains("Requests meeting the SLO (%):            50.00", lines);
    }

    [Theory]
    [InlineData("50,90,99", new[] { 50.0, 90, 99 })]
    [InlineData(" 99.9 , 50,99.9", new[] { 99.9, 50 })]
    [InlineData("0,100", new[] { 0.0, 100 })]
    public void Percentiles_are_read_in_the_order_given(string text, double[] expected) =>
        Assert.Equal(expected, ProfileArgs.ParsePercentiles(text));

    [Theory]
    [InlineData("")]
    [InlineData("50,,99")]
    [InlineData("p99")]
    [InlineData("101")]
    [InlineData("-1")]
    [InlineData("NaN")]
    public void Bad_percentiles_are_a_user_error_naming_the_option(string text) =>
        Assert.Contains("--percentiles", Assert.Throws<UserError>(() => ProfileArgs.ParsePercentiles(text)).Message);
}
