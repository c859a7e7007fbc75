using Ipw.Core.Profiling;

namespace Ipw.Core.Tests;

public class ArrivalScheduleTests
{
    private static List<double> All(ArrivalSchedule s)
    {
        var list = new List<double>();
        while (s.Next() is { } t) list.Add(t);
        return list;
    }

    [Fact]
    public void Constant_arrivals_are_evenly_spaced()
    {
        var times = All(new ArrivalSchedule(Arrival.Constant, 4, 8, seed: 1));
        Assert.Equal([0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75], times);
    }

    [Fact]
    public void Poisson_arrivals_with_a_known_count_hold_the_rate_exactly_and_look_exponential()
    {
        var times = All(new ArrivalSchedule(Arrival.Poisson, 10, 6000, seed: 7));
        Assert.Equal(6000, times.Count);
        Assert.True(times.Zip(times.Skip(1)).All(p => p.Second >= p.First), "sorted");
        Assert.InRange(times[^1], 599.0, 600.0); // all inside [0, N/R)
        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
        var mean = gaps.Average();
        var sd = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / gaps.Count);
        Assert.InRange(mean, 0.095, 0.105);
        Assert.InRange(sd / mean, 0.9, 1.1); // exponential gaps: coefficient of variation 1
    }

    [Fact]
    public void An_infinite_rate_sends_everything_at_once()
    {
        Assert.Equal(Enumerable.Repeat(0.0, 5), All(new ArrivalSchedule(Arrival.Poisson, double.PositiveInfinity, 5, seed: 1)));
    }

    private static (double Mean, double Cv) Gaps(List<double> times)
    {
        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
        var mean = gaps.Average();
        return (mean, Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / gaps.Count) / mean);
    }

    [Theory]
    [InlineData(0.25)]   // bursty: gamma gaps with a coefficient of variation of 2
    [InlineData(1.0)]    // Poisson
    [InlineData(4.0)]    // more even: 0.5
    public void Burstiness_gives_gamma_gaps_of_that_shape_and_mean_one_over_the_rate(double k)
    {
        // A known count: scaled so the last send falls on N/R, as vLLM scales them.
        var times = All(new ArrivalSchedule(Arrival.Poisson, 10, 6000, seed: 3, burstiness: k));
        Assert.Equal(6000, times.Count);
        Assert.True(times.Zip(times.Skip(1)).All(p => p.Second >= p.First), "sorted");
        Assert.True(times[0] > 0);
        Assert.Equal(600.0, times[^1], 9);
        var (mean, cv) = Gaps(times);
        Assert.InRange(mean, 0.099, 0.101);
        Assert.InRange(cv, 0.9 / Math.Sqrt(k), 1.1 / Math.Sqrt(k));

        // No known count (a timed run of unknown length): plain gamma gaps.
        var open = new ArrivalSchedule(Arrival.Poisson, 10, null, seed: 3, burstiness: k);
        var free = Enumerable.Range(0, 6000).Select(_ => open.Next()!.Value).ToList();
        (mean, cv) = Gaps(free);
        Assert.InRange(mean, 0.09, 0.11);
        Assert.InRange(cv, 0.9 / Math.Sqrt(k), 1.1 / Math.Sqrt(k));
    }

    [Fact]
    public void The_same_seed_gives_the_same_schedule()
    {
        Assert.Equal(All(new ArrivalSchedule(Arrival.Poisson, 3, 50, 11)), All(new ArrivalSchedule(Arrival.Poisson, 3, 50, 11)));
        Assert.NotEqual(All(new ArrivalSchedule(Arrival.Poisson, 3, 50, 11)), All(new ArrivalSchedule(Arrival.Poisson, 3, 50, 12)));
        Assert.Equal(All(new ArrivalSchedule(Arrival.Poisson, 3, 50, 11, 0.5)), All(new ArrivalSchedule(Arrival.Poisson, 3, 50, 11, 0.5)));
        Assert.NotEqual(All(new ArrivalSchedule(Arrival.Poisson, 3, 50, 11, 0.5)), All(new ArrivalSchedule(Arrival.Poisson, 3, 50, 12, 0.5)));
    }
}
