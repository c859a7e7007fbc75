using System.Diagnostics;
using Ipw.Core.Measurement;

namespace Ipw.Core.Energy;

/// <summary>
/// The energy counters an attributor reads, each through the one counter model (<see cref="CounterTrack"/>), on the
/// monotonic clock: their sum at a time, how far they are known, the steps a window rests on, their history for the
/// fit at close. Not thread-safe: the attributor holds its lock around every call.
/// </summary>
internal sealed class EnergyCounters
{
    private readonly CounterTrack[] _tracks;

    public EnergyCounters(IReadOnlyList<CounterClock> clocks)
    {
        if (clocks.Count == 0) throw new ArgumentException("at least one energy counter is needed", nameof(clocks));
        Clocks = clocks.ToArray();
        _tracks = clocks.Select(c => c.Track(Stopwatch.Frequency)).ToArray();
        // An unknown period counts as the slowest plausible one: windows shorter than that are flagged.
        LongestPeriodTicks = clocks.Max(c => c.Worst.TotalSeconds) * Stopwatch.Frequency;
        PeriodUnknown = clocks.Any(c => c.Stepped && c.Period is null);
    }

    public IReadOnlyList<CounterClock> Clocks { get; }

    public int Count => _tracks.Length;

    /// <summary>The longest period, in ticks (an unknown one as the slowest plausible); 0 when all are current.</summary>
    public double LongestPeriodTicks { get; }

    public bool PeriodUnknown { get; }

    /// <summary>The earliest of the counters' latest knots.</summary>
    public long Horizon
    {
        get
        {
            var h = long.MaxValue;
            foreach (var t in _tracks) h = Math.Min(h, t.Horizon);
            return h;
        }
    }

    public void Add(long t, ReadOnlySpan<double> joules)
    {
        for (var i = 0; i < _tracks.Length; i++) _tracks[i].Add(t, joules[i]);
    }

    public void Add(int index, long t, double joules) => _tracks[index].Add(t, joules);

    /// <summary>The counters' sum at <paramref name="t"/> (NaN where any is unknown).</summary>
    public double At(long t)
    {
        double sum = 0;
        foreach (var track in _tracks) sum += track.At(t);
        return sum;
    }

    public double At(int index, long t) => _tracks[index].At(t);

    /// <summary>Whether a failed read or a reset of any counter falls inside [a, b].</summary>
    public bool GapIn(long a, long b)
    {
        foreach (var t in _tracks)
            if (t.GapIn(a, b)) return true;
        return false;
    }

    /// <summary>The fewest steps any stepped counter took inside (a, b]; int.MaxValue when all are current.</summary>
    public int StepsIn(long a, long b)
    {
        var fewest = int.MaxValue;
        foreach (var t in _tracks)
            if (t.PeriodTicks is not null || t.SteppedUnknown) fewest = Math.Min(fewest, t.StepsIn(a, b));
        return fewest;
    }

    public IReadOnlyList<(long T, double V)> Knots(int index) => _tracks[index].Knots();

    /// <summary>The knots with each step narrowed on the counter's clock (<see cref="CounterGrid"/>).</summary>
    public IReadOnlyList<(long T, double V)> RefinedKnots(int index)
    {
        var track = _tracks[index];
        return track.PeriodTicks is null && !track.SteppedUnknown ? track.Knots() : CounterGrid.Refine(track.Knots(), track.Brackets(), track.PeriodTicks);
    }

    public void PruneBefore(long t)
    {
        foreach (var track in _tracks) track.PruneBefore(t);
    }
}
