namespace Ipw.Core.Profiling;

/// <summary>
/// Send times for open-loop load, as offsets in seconds from the start. Constant arrivals are k/R. Poisson
/// arrivals with a known count N are a Poisson process conditioned on N arrivals in [0, N/R): the sorted
/// uniforms, drawn in order (each the minimum of the uniforms left), so the schedule holds exactly the
/// requested rate over the run while keeping exponential-looking gaps. With no known count the gaps are
/// plain exponentials. Seeded: the same seed gives the same schedule.
/// </summary>
public sealed class ArrivalSchedule(Arrival arrival, double rate, long? count, int seed)
{
    private readonly Random _random = new(seed);
    private long _k;
    private double _last;

    /// <summary>The schedule's length in seconds when the count is known (N/R).</summary>
    public double? Span => count is { } n ? n / rate : null;

    /// <summary>The next send's offset in seconds, or null when the count is reached.</summary>
    public double? Next()
    {
        if (count is { } n && _k >= n) return null;
        var k = _k++;
        if (arrival == Arrival.Constant) return k / rate;
        if (count is { } total)
        {
            var end = total / rate;
            var remaining = total - k;
            // Minimum of `remaining` uniforms on (_last, end): (end − last)(1 − U^(1/remaining)).
            var u = _random.NextDouble();
            _last += (end - _last) * (1 - Math.Pow(u, 1.0 / remaining));
            return _last;
        }
        _last += -Math.Log(1 - _random.NextDouble()) / rate;
        return _last;
    }
}
