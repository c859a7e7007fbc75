using Ipw.Core.Profiling;
using Ipw.Core.Summary;

namespace Ipw.Core.Tests;

/// <summary>Goodput as vLLM's --goodput and DistServe define it: the queries that succeeded and met every objective.</summary>
public sealed class ServiceLevelTests
{
    [Fact]
    public void Objectives_take_any_subset_with_units()
    {
        Assert.Equal(new ServiceLevel(0.2, 0.05, 5), ServiceLevel.Parse("ttft=200ms,tpot=50ms,e2e=5s"));
        Assert.Equal(new ServiceLevel(null, 0.05, null), ServiceLevel.Parse("tpot=0.05s"));
        Assert.Equal(new ServiceLevel(1.5, null, 2), ServiceLevel.Parse(" TTFT = 1500ms , e2el=2s "));
        Assert.Equal(new Dictionary<string, double> { ["ttft"] = 200, ["e2el"] = 5000 }, ServiceLevel.Parse("ttft=200ms,e2e=5s").Milliseconds());
    }

    [Theory]
    [InlineData("")]
    [InlineData("ttft")]
    [InlineData("ttft=200")]          // a unit is needed: vLLM's are ms, ipw's durations s
    [InlineData("ttft=fast")]
    [InlineData("ttft=-5ms")]
    [InlineData("ttft=0ms")]
    [InlineData("latency=5s")]
    [InlineData("ttft=1s,ttft=2s")]
    [InlineData("ttft=1s,,e2e=2s")]
    public void A_bad_spec_is_a_one_line_user_error_naming_the_option(string text)
    {
        var e = Assert.Throws<UserError>(() => ServiceLevel.Parse(text));
        Assert.Contains("--slo", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_good_query_succeeded_and_met_every_bound_and_goodput_is_good_queries_per_second()
    {
        var tally = new ServingTally(ServiceLevel.Parse("ttft=200ms,tpot=50ms,e2e=5s"));
        tally.Add(true, 10, 20, 0.100, 0.040, 1.0, []);     // good
        tally.Add(true, 10, 1, 0.150, null, 0.2, []);       // good: one token, TPOT counts as 0 (vLLM's rule)
        tally.Add(true, 10, 20, 0.250, 0.010, 1.0, []);     // TTFT too slow
        tally.Add(true, 10, 20, 0.100, 0.060, 1.0, []);     // TPOT too slow
        tally.Add(true, 10, 20, 0.100, 0.010, 6.0, []);     // E2E too slow
        tally.Add(true, 10, 20, null, 0.010, 1.0, []);      // no first token: a bound on it is not met
        tally.Add(true, 10, null, 0.100, null, 1.0, []);    // TPOT not measured on an answer of unknown length: not met
        tally.Add(false, 10, 20, 0.010, 0.010, 0.1, []);    // failed: never good
        var s = tally.ToSection([99], durationS: 4);
        Assert.Equal(2, s.GoodRequests);
        Assert.Equal(0.5, s.RequestGoodput);
        Assert.Equal(2 / 8.0, s.GoodFraction);
        Assert.Equal(new Dictionary<string, double> { ["ttft"] = 200, ["tpot"] = 50, ["e2el"] = 5000 }, s.SloMs);
    }

    [Fact]
    public void Without_objectives_goodput_is_not_measured_rather_than_zero()
    {
        var tally = new ServingTally();
        tally.Add(true, 10, 20, 0.1, 0.01, 1, []);
        var s = tally.ToSection([99], durationS: 1);
        Assert.Null(s.RequestGoodput);
        Assert.Null(s.GoodFraction);
        Assert.Null(s.GoodRequests);
        Assert.Null(s.SloMs);
    }
}
