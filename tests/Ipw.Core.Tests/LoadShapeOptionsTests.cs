using Ipw.Core.Session;
using Ipw.Core.Summary;

namespace Ipw.Core.Tests;

/// <summary>--rate inf and --burstiness as the one option mapping checks and records them.</summary>
public sealed class LoadShapeOptionsTests
{
    [Theory]
    [InlineData(0.0, 2.0, null, "poisson", "--burstiness must be a positive number")]
    [InlineData(-1.0, 2.0, null, "poisson", "--burstiness must be a positive number")]
    [InlineData(double.NaN, 2.0, null, "poisson", "--burstiness must be a positive number")]
    [InlineData(double.PositiveInfinity, 2.0, null, "poisson", "--burstiness must be a positive number")]
    [InlineData(1.0, null, null, "poisson", "--burstiness shapes open-loop arrivals: give --rate too")]
    [InlineData(2.0, double.PositiveInfinity, null, "poisson", "--burstiness does not apply to --rate inf")]
    [InlineData(2.0, 2.0, null, "constant", "--burstiness replaces --arrival")]
    [InlineData(null, double.PositiveInfinity, "10s", "poisson", "--rate inf sends every query at once: with --duration, give --max-queries too")]
    public void Bad_load_shapes_are_refused_with_the_option_named(double? burstiness, double? rate, string? duration, string arrival, string message)
    {
        var e = Assert.Throws<UserError>(() => new ProfileArgs { Burstiness = burstiness, Rate = rate, Duration = duration, Arrival = arrival }.ToOptions());
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Good_load_shapes_are_named_for_the_summary()
    {
        Assert.Equal("gamma", new ProfileArgs { Rate = 2, Burstiness = 0.5 }.ToOptions().ArrivalName);
        Assert.Equal("all at once", new ProfileArgs { Rate = double.PositiveInfinity }.ToOptions().ArrivalName);
        Assert.Equal("all at once", new ProfileArgs { Rate = double.PositiveInfinity, Duration = "10s", MaxQueries = 50 }.ToOptions().ArrivalName);
        Assert.Equal("poisson", new ProfileArgs { Rate = 2 }.ToOptions().ArrivalName);
        Assert.Null(new ProfileArgs { Concurrency = 4 }.ToOptions().ArrivalName);
    }

    [Fact]
    public void An_infinite_rate_is_written_as_inf_and_read_back()
    {
        var summary = new RunSummary
        {
            Config = new RunConfig { RatePerS = double.PositiveInfinity },
            Load = new LoadSection { RatePerS = 4 },
            Serving = new ServingSection { RequestRate = double.PositiveInfinity },
        };
        var json = SummaryFile.Serialize(summary);
        Assert.Contains("\"rate_per_s\": \"inf\"", json);
        Assert.Contains("\"request_rate\": \"inf\"", json);
        Assert.Contains("\"rate_per_s\": 4", json);
        var back = SummaryFile.Deserialize(json);
        Assert.Equal(double.PositiveInfinity, back.Config!.RatePerS);
        Assert.Equal(double.PositiveInfinity, back.Serving!.RequestRate);
        Assert.Equal(4, back.Load!.RatePerS);
    }
}
