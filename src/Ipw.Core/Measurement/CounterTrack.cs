namespace Ipw.Core.Measurement;

/// <summary>
/// One cumulative energy counter, turned into knots (time, joules) at the moments its value was
/// published. A counter that updates every P ms shows, when read at t, the energy at its last update
/// u ≤ t; the update lies after the previous read that showed the old value and, when P is known, after
/// t − P. Each new value is placed at the middle of that interval, so a stale reading is not taken for
/// the energy at read time (on a 100 ms counter that alone is worth several percent of a 1 s window).
/// A counter that goes backwards was reset: it continues from its last value and the interval is a gap.
/// A counter that steps at an unknown period is placed the same way without the t − P bound: the middle of the
/// interval between the read that showed the old value and the one that shows the new.
/// The one counter model: the energy attributor and the run monitor read counters through it.
/// </summary>
/// <param name="periodTicks">The counter's update period in the caller's time unit, when known.</param>
/// <param name="steppedUnknown">The counter steps at a period nobody knows (see <see cref="CounterClock"/>); false with
/// no period means current at read time.</param>
public sealed class CounterTrack(double? periodTicks, bool steppedUnknown = false)
{
    private readonly List<(long T, double V)> _knots = [];
    // For each knot, the span its value was published in (both the knot's time when exact): where the reads saw a
    // step, narrowed by what later reads tell, for a refinement at close (CounterGrid). The knots themselves never
    // move once placed: whoever has read up to one keeps what it read.
    private readonly List<(long Low, long High)> _spans = [];
    private readonly List<(long From, long To)> _gaps = [];
    private long _lastReadT = long.MinValue;
    private double _lastReadV = double.NaN;
    private long _lastGoodT = long.MinValue;
    private bool _failedSinceGood;
    private double _offset;

    /// <summary>The counter's update period, when known (from the source's probe).</summary>
    public double? PeriodTicks { get; } = periodTicks;

    /// <summary>Whether the counter steps at an unknown period.</summary>
    public bool SteppedUnknown { get; } = steppedUnknown && periodTicks is null;

    /// <summary>How many times the value changed at knots inside (<paramref name="a"/>, <paramref name="b"/>]: the
    /// steps a baseline over that window rests on.</summary>
    public int StepsIn(long a, long b)
    {
        var steps = 0;
        for (var i = 1; i < _knots.Count; i++)
            if (_knots[i].T > a && _knots[i].T <= b && _knots[i].V != _knots[i - 1].V) steps++;
        return steps;
    }

    /// <summary>The latest time up to which the counter is known.</summary>
    public long Horizon => _knots.Count > 1 || (_knots.Count == 1 && !FirstMayMove) ? _knots[^1].T : long.MinValue;

    /// <summary>A stepped counter's first reading is re-placed when the step after it is seen (see <see cref="Add"/>):
    /// until then nothing is known, not even at it.</summary>
    private bool FirstMayMove => PeriodTicks is not null && !_firstPlaced && _spans.Count == 1 && _spans[0].Low < _spans[0].High;

    // Set once a second knot has placed the first: pruning may later leave one knot, which stays known.
    private bool _firstPlaced;

    public long First => _knots.Count > 0 ? _knots[0].T : long.MaxValue;

    public int KnotCount => _knots.Count;

    /// <summary>Adds one reading taken at <paramref name="t"/> (NaN: the read failed).</summary>
    public void Add(long t, double value)
    {
        if (double.IsNaN(value))
        {
            _failedSinceGood = true;
            return;
        }
        if (_failedSinceGood && _lastGoodT != long.MinValue) _gaps.Add((_lastGoodT, t));
        _failedSinceGood = false;
        _lastGoodT = t;

        var v = value + _offset;
        if (_knots.Count == 0)
        {
            // The first reading of a stepped counter was published within the period before it, not at the read:
            // placed at the read, the energy of the first interval would be squeezed into a shorter one (a baseline
            // starting there reads half a period of power too much).
            if (PeriodTicks is { } first) Knot(t - (long)(first / 2), v, t - (long)first, t);
            else Knot(t, v, t, t);
        }
        else if (v < _lastReadV)
        {
            // The counter went backwards (driver reload, reset): continue from the last value, and mark the
            // interval, whose energy is unknown, as a gap.
            _offset += _lastReadV - v;
            v = _lastReadV;
            _gaps.Add((_lastReadT, t));
            Knot(t, v, t, t);
        }
        else if (v > _lastReadV)
        {
            // With a known period the value was published in (max(previous read, t − period), t]: take the middle.
            // Stepping at an unknown period, in (previous read, t]. Otherwise the counter is taken as current at read
            // time (RAPL-like counters update every millisecond).
            var at = t;
            var lower = t;
            if (PeriodTicks is { } p)
            {
                // Published within about a period before the read: a quarter period of margin, for a period learned
                // from a few intervals of a counter that strays from its grid.
                lower = Math.Max(_lastReadT, t - (long)(1.25 * p));
                at = lower + (t - lower) / 2;
            }
            else if (SteppedUnknown)
            {
                lower = _lastReadT;
                at = _lastReadT + (t - _lastReadT) / 2;
            }
            if (FirstMayMove && PeriodTicks is { } period)
            {
                // The first reading was only known to be published within the period before it; the step after it,
                // a period later, places it better. Nothing has read between the two yet.
                var (low, high) = _spans[0];
                _knots[0] = (Math.Clamp(at - (long)period, low, Math.Min(high, at - 1)), _knots[0].V);
            }
            if (at <= _knots[^1].T) at = lower = _knots[^1].T + 1;
            Knot(at, v, lower, Math.Max(t, at));
        }
        else if (PeriodTicks is { } p && t - (long)p > _knots[^1].T)
        {
            // Unchanged a period after the last step. A counter's publications stray from its grid (NVML's by a few
            // ms), so what that says is kept with a margin of a quarter period either way.
            var last = _knots.Count - 1;
            var (low, high) = _spans[last];
            var margin = (long)(p / 4);
            if (t - (long)p - margin >= high + margin)
            {
                // Unchanged for well over a period after the step was seen: a publication came with nothing to add (no
                // power drawn), and the counter held its value until then.
                Knot(t - (long)p, v, t - (long)p, t - (long)p);
            }
            else if (low < high && t - (long)p - margin > low)
            {
                // The next publication has not come, so the last step came after about t − period: its span narrows
                // (for the refinement at close).
                _spans[last] = (Math.Min(t - (long)p - margin, high), high);
            }
        }
        else if (PeriodTicks is null && !SteppedUnknown && t > _knots[^1].T)
        {
            // A counter current at read time (no period) that did not move: it held this value until now.
            Knot(t, v, t, t);
        }
        _lastReadT = t;
        _lastReadV = v;
    }

    /// <summary>The counter at <paramref name="t"/>, linear between knots; NaN outside the known range.</summary>
    public double At(long t)
    {
        if (_knots.Count == 0 || FirstMayMove || t < _knots[0].T || t > _knots[^1].T) return double.NaN;
        // Binary search for the last knot at or before t.
        int lo = 0, hi = _knots.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_knots[mid].T <= t) lo = mid; else hi = mid - 1;
        }
        var (t0, v0) = _knots[lo];
        if (t0 == t || lo == _knots.Count - 1) return v0;
        var (t1, v1) = _knots[lo + 1];
        return v0 + (v1 - v0) * ((double)(t - t0) / (t1 - t0));
    }

    private void Knot(long t, double v, long low, long high)
    {
        if (_knots.Count > 0) _firstPlaced = true;
        _knots.Add((t, v));
        _spans.Add((Math.Min(low, t), Math.Max(high, t)));
    }

    /// <summary>A copy of the knots: (time, value) at each update, in time order.</summary>
    public IReadOnlyList<(long T, double V)> Knots() => [.. _knots];

    /// <summary>For each knot, the span its step was seen in: [low, high] around its time (both the time when exact).</summary>
    public IReadOnlyList<(long Low, long High)> Brackets() => [.. _spans];

    /// <summary>Whether a failed read or a reset falls inside [a, b].</summary>
    public bool GapIn(long a, long b)
    {
        foreach (var (from, to) in _gaps)
            if (from < b && to > a) return true;
        return false;
    }

    /// <summary>Forgets what lies wholly before <paramref name="t"/>, keeping the knot that interpolation at t needs.</summary>
    public void PruneBefore(long t)
    {
        var drop = 0;
        while (drop < _knots.Count - 1 && _knots[drop + 1].T <= t) drop++;
        if (drop > 32)
        {
            _knots.RemoveRange(0, drop);
            _spans.RemoveRange(0, drop);
        }
        if (_gaps.Count > 0) _gaps.RemoveAll(g => g.To < t); // no closure made per window while there are no gaps
    }
}
