using MathNet.Numerics.Distributions;

namespace Ipw.Core.Profiling;

/// <summary>
/// Send times for open-loop load, as offsets in seconds from the start. Constant arrivals are k/R. Poisson
/// arrivals with a known count N are a Poisson process conditioned on N arrivals in [0, N/R): the sorted
/// uniforms, drawn in order (each the minimum of the uniforms left), so the schedule holds exactly the
/// requested rate over the run while keeping exponential-looking gaps. With no known count the gaps are
/// plain exponentials.
/// <para>With a burstiness K (vLLM's <c>--burstiness</c>) the gaps are gamma-distributed with shape K and mean 1/R:
/// K = 1 is a Poisson process, K &lt; 1 burstier, K &gt; 1 more even. With a known count the gaps are scaled so the
/// last send falls at N/R, as vLLM scales them; drawn in order, each gap is a Beta(K, K·(N − j)) share of the time
/// left (the same distribution, without holding N gaps). An infinite rate sends everything at once (offset 0).</para>
/// Seeded: the same seed gives the same schedule.
/// </summary>
public sealed class ArrivalSchedule(Arrival arrival, double rate, long? count, int seed, double? burstiness = null)
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
        if (double.IsPositiveInfinity(rate)) return 0;
        if (burstiness is { } shape) return NextGamma(k, shape);
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

    /// <summary>The (k+1)-th gamma arrival: its gap drawn alone (shape K, rate R·K), or, with a known count, as its share
    /// of the time left to N/R; the last send falls on N/R.</summary>
    private double NextGamma(long k, double shape)
    {
        if (count is not { } total)
        {
            _last += Gamma.Sample(_random, shape, rate * shape);
            return _last;
        }
        var end = total / rate;
        var after = total - k - 1;   // gaps still to come after this one
        _last = after == 0 ? end : _last + (end - _last) * Beta.Sample(_random, shape, shape * after);
        return _last;
    }
}
