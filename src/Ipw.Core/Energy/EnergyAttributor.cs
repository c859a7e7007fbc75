using System.Diagnostics;
using Ipw.Core.Measurement;

namespace Ipw.Core.Energy;

/// <summary>
/// Shares measured energy among concurrent queries, with exact bookkeeping. Time is cut at every counter
/// knot and every query start, first token and end; each piece's energy (the counters' interpolated delta)
/// goes to the queries active in it, by <see cref="AttributionMethod"/>, or to <see cref="UnattributedJ"/>
/// when none is. So the shares plus the unattributed energy add up to the counters' delta over the
/// measured span (<see cref="MeasuredJ"/>), up to floating-point rounding.
/// A query is final once every query that overlapped it has ended and the counters are known past its end.
/// Thread-safe: the sampler adds readings, query tasks begin and end queries, the pipeline drains results.
/// </summary>
public sealed class EnergyAttributor
{
    private readonly Lock _sync = new();
    private readonly EnergyCounters _counters;
    private readonly AttributionMethod _method;
    private readonly double _prefillWeight;
    private readonly Dictionary<int, Query> _inFlight = [];
    private readonly SortedSet<(long Start, int Id)> _inFlightStarts = [];
    private readonly PriorityQueue<Query, long> _pending = new(); // ended, not yet started by the cursor
    private readonly List<Query> _active = [];
    private readonly Queue<(AttributedEnergy Energy, object? Tag)> _done = new();
    private long _cursor = long.MinValue;
    private bool _started;
    private long _holdFrom = long.MaxValue;
    private KahanSum _measured, _unattributed, _unattributedTime, _unattributedMoment, _attributed;
    private long _origin;
    private readonly KahanSum[] _measuredByCounter;
    private int _nextId;

    public AttributionMethod Method => _method;
    public double PrefillWeight => _prefillWeight;

    /// <param name="counters">One entry per cumulative energy counter: how it publishes.</param>
    public EnergyAttributor(IReadOnlyList<CounterClock> counters, AttributionMethod method = AttributionMethod.Overlap, double prefillWeight = 1)
    {
        if (!(prefillWeight > 0) || double.IsInfinity(prefillWeight)) throw new ArgumentOutOfRangeException(nameof(prefillWeight), "must be a positive number");
        _counters = new EnergyCounters(counters);
        _method = method;
        _prefillWeight = prefillWeight;
        _measuredByCounter = new KahanSum[_counters.Count];
    }

    /// <summary>How each counter publishes, in the constructor's order.</summary>
    public IReadOnlyList<CounterClock> Clocks => _counters.Clocks;

    /// <summary>Whether some counter steps at an unknown period (taken as <see cref="Abstractions.MetricInfo.SlowestPlausiblePeriod"/>).</summary>
    public bool PeriodUnknown => _counters.PeriodUnknown;

    /// <summary>How many steps the counters took inside (<paramref name="a"/>, <paramref name="b"/>]: the fewest of any
    /// stepped counter (int.MaxValue when every counter is current at read time); for a baseline's quality.</summary>
    public int StepsIn(long a, long b)
    {
        lock (_sync) return _counters.StepsIn(a, b);
    }

    /// <summary><see cref="MeasuredJ"/> counter by counter (in the order of the constructor's periods), J: per device or
    /// per node, they add up to the total.</summary>
    public IReadOnlyList<double> MeasuredJByCounter
    {
        get { lock (_sync) return _measuredByCounter.Select(k => k.Value).ToArray(); }
    }

    /// <summary>Energy of every piece processed so far, J: the counters' delta from the start to the cursor.</summary>
    public double MeasuredJ { get { lock (_sync) return _measured.Value; } }
    /// <summary>Energy of pieces in which no query was active (idle gaps), J.</summary>
    public double UnattributedJ { get { lock (_sync) return _unattributed.Value; } }
    /// <summary>Duration of those pieces, s.</summary>
    public double UnattributedSeconds { get { lock (_sync) return _unattributedTime.Value; } }
    /// <summary>When the idle gaps fell, on average (their duration-weighted mean time; a monotonic timestamp).</summary>
    public long UnattributedMidT
    {
        get { lock (_sync) return _unattributedTime.Value > 0 ? _origin + (long)(_unattributedMoment.Value / _unattributedTime.Value * Stopwatch.Frequency) : _origin; }
    }

    /// <summary>Where the measured span began (<see cref="StartMeasuring"/>).</summary>
    public long MeasuringFrom { get { lock (_sync) return _origin; } }

    /// <summary>Where the measured span has got to: the end of the last piece processed.</summary>
    public long MeasuredTo { get { lock (_sync) return _cursor; } }

    /// <summary>Sum of the shares handed out, J.</summary>
    public double AttributedJ { get { lock (_sync) return _attributed.Value; } }

    /// <summary>Where the counters are known up to (the earliest of the counters' latest knots).</summary>
    public long Horizon
    {
        get { lock (_sync) return HorizonLocked(); }
    }

    /// <summary>The counters' update period, the longest (an unknown one as the slowest plausible); null when every
    /// counter is current at read time.</summary>
    public TimeSpan? CounterPeriod => _counters.LongestPeriodTicks > 0 ? TimeSpan.FromSeconds(_counters.LongestPeriodTicks / Stopwatch.Frequency) : null;

    private long _admissionDelay;

    /// <summary>How late a query's start may be reported (<see cref="Begin"/> with a past stamp, as worker processes
    /// report their sends): nothing more recent than this is processed, so such a start is never clamped.</summary>
    public TimeSpan AdmissionDelay
    {
        get => TimeSpan.FromSeconds((double)Interlocked.Read(ref _admissionDelay) / Stopwatch.Frequency);
        set => Interlocked.Exchange(ref _admissionDelay, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    private long HorizonLocked() => Interlocked.Read(ref _admissionDelay) is > 0 and var delay
        ? Math.Min(_counters.Horizon, Stopwatch.GetTimestamp() - delay)
        : _counters.Horizon;

    /// <summary>Adds one reading of every counter (same order as the constructor's), taken at <paramref name="t"/>.</summary>
    public void AddReading(long t, ReadOnlySpan<double> joules)
    {
        lock (_sync) _counters.Add(t, joules);
    }

    /// <summary>Adds one reading of counter <paramref name="index"/> alone (a read between full samples).</summary>
    public void AddReading(int index, long t, double joules)
    {
        lock (_sync) _counters.Add(index, t, joules);
    }

    /// <summary>Sum of the counters at <paramref name="t"/> (NaN where unknown).</summary>
    public double CounterAt(long t)
    {
        lock (_sync) return CounterAtLocked(t);
    }

    private double CounterAtLocked(long t) => _counters.At(t);

    /// <summary>Keeps counter history from <paramref name="t"/> on (for an idle baseline) until <see cref="Release"/>.</summary>
    public void Hold(long t)
    {
        lock (_sync) _holdFrom = t;
    }

    public void Release()
    {
        lock (_sync) _holdFrom = long.MaxValue;
    }

    /// <summary>Starts measuring: energy from now on is attributed or counted as unattributed.</summary>
    public void StartMeasuring(long t)
    {
        lock (_sync)
        {
            if (_started) throw new InvalidOperationException("already measuring");
            _started = true;
            _cursor = t;
            _origin = t;
        }
    }

    /// <summary>Begins a query now; the stamp is taken under the lock, so no piece before it is processed without it.</summary>
    /// <param name="at">Replays a recorded start instead (it must not precede pieces already processed).</param>
    public (int Id, long Start) Begin(long? at = null)
    {
        lock (_sync)
        {
            var q = new Query(_nextId++, at ?? Stopwatch.GetTimestamp(), _counters.Count);
            if (q.Start < _cursor) q.Start = _cursor;
            _inFlight[q.Id] = q;
            _inFlightStarts.Add((q.Start, q.Id));
            return (q.Id, q.Start);
        }
    }

    /// <summary>Ends a query. <paramref name="firstToken"/>: when its first token arrived (null: none did).</summary>
    public void End(int id, long end, long? firstToken, object? tag = null)
    {
        lock (_sync)
        {
            if (!_inFlight.Remove(id, out var q)) throw new InvalidOperationException($"query {id} is not in flight");
            _inFlightStarts.Remove((q.Start, q.Id));
            q.End = Math.Max(end, q.Start);
            q.FirstToken = Math.Clamp(firstToken ?? q.End, q.Start, q.End);
            q.Tag = tag;
            _pending.Enqueue(q, q.Start);
            AdvanceLocked(HorizonLocked());
        }
    }

    /// <summary>Processes whatever the counters now cover.</summary>
    public void Advance()
    {
        lock (_sync) AdvanceLocked(HorizonLocked());
    }

    /// <summary>Results final so far, with the tag given to <see cref="End"/>.</summary>
    public List<(AttributedEnergy Energy, object? Tag)> Drain()
    {
        lock (_sync)
        {
            var list = new List<(AttributedEnergy, object?)>(_done);
            _done.Clear();
            return list;
        }
    }

    /// <summary>Whether ended queries wait for the counters to pass their end.</summary>
    public int Waiting
    {
        get { lock (_sync) return _pending.Count + _active.Count; }
    }

    /// <summary>Ends the measured span at <paramref name="end"/>: processes up to it as far as the counters allow and
    /// finalises every query left, those the counters do not cover being flagged (their energy unknown).</summary>
    public void Finish(long end)
    {
        lock (_sync)
        {
            AdvanceLocked(Math.Min(HorizonLocked(), end));
            // Whatever is left could not be covered by the counters: report it unknown, never zero.
            while (_pending.TryDequeue(out var q, out _))
            {
                q.Unknown = true;
                _active.Add(q);
            }
            foreach (var q in _active)
            {
                q.Unknown = true;
                Complete(q);
            }
            _active.Clear();
        }
    }

    private void AdvanceLocked(long horizon)
    {
        if (!_started) return;
        // In-flight queries have no known first token or end yet: stop at the earliest one's start.
        if (_inFlightStarts.Count > 0) horizon = Math.Min(horizon, _inFlightStarts.Min.Start);
        while (_cursor < horizon)
        {
            // Activate queries starting at the cursor.
            while (_pending.TryPeek(out var next, out var start) && start <= _cursor)
            {
                _pending.Dequeue();
                _active.Add(next);
            }
            // The next boundary: a pending start, an active query's first token or end, or the horizon.
            var b = horizon;
            if (_pending.TryPeek(out _, out var nextStart)) b = Math.Min(b, nextStart);
            foreach (var q in _active)
            {
                if (q.FirstToken > _cursor) b = Math.Min(b, q.FirstToken);
                b = Math.Min(b, q.End);
            }
            if (b <= _cursor)
            {
                // Zero-length queries (start == end) end here.
                RetireEnded();
                if (_pending.Count == 0 && _active.Count == 0) { _cursor = horizon; break; }
                continue;
            }
            Piece(_cursor, b);
            _cursor = b;
            RetireEnded();
        }
        RetireEnded();
        // The fitted method reads the whole run's counters when it closes.
        var keep = _method == AttributionMethod.Fitted ? _origin : Math.Min(_cursor, _holdFrom);
        _counters.PruneBefore(keep);
    }

    private void RetireEnded()
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            if (_active[i].End > _cursor) continue;
            Complete(_active[i]);
            _active.RemoveAt(i);
        }
    }

    private void Piece(long a, long b)
    {
        var energy = CounterAtLocked(b) - CounterAtLocked(a);
        Span<double> byCounter = stackalloc double[_counters.Count];
        if (!double.IsNaN(energy))
            for (var i = 0; i < byCounter.Length; i++)
            {
                byCounter[i] = _counters.At(i, b) - _counters.At(i, a);
                _measuredByCounter[i].Add(byCounter[i]);
            }
        var seconds = (double)(b - a) / Stopwatch.Frequency;
        var gap = _counters.GapIn(a, b);
        if (double.IsNaN(energy))
        {
            foreach (var q in _active) q.NoData = true;
            return;
        }
        _measured.Add(energy);
        // The piece's middle, in seconds since measuring began: the moments below place each share of time in the run.
        var mid = ((double)(a - _origin) + (b - a) / 2.0) / Stopwatch.Frequency;
        if (_active.Count == 0)
        {
            _unattributed.Add(energy);
            _unattributedTime.Add(seconds);
            _unattributedMoment.Add(seconds * mid);
            return;
        }
        double total = 0;
        foreach (var q in _active) total += Weight(q, a);
        foreach (var q in _active)
        {
            var share = Weight(q, a) / total;
            q.Take(byCounter, share, seconds, mid, _active.Count, gap);
            _attributed.Add(energy * share);
        }
    }

    private double Weight(Query q, long a) => _method == AttributionMethod.Phase && a < q.FirstToken ? _prefillWeight : 1;

    /// <summary>Counter <paramref name="index"/>'s readings, placed at their update times, from where measuring began
    /// (kept for the whole run when the method is <see cref="AttributionMethod.Fitted"/>; otherwise only what is held).</summary>
    public IReadOnlyList<(long T, double V)> Knots(int index)
    {
        lock (_sync) return _counters.Knots(index);
    }

    /// <summary><see cref="Knots"/> with each step's time narrowed by the counter's clock (<see cref="CounterGrid"/>).</summary>
    public IReadOnlyList<(long T, double V)> RefinedKnots(int index)
    {
        lock (_sync) return _counters.RefinedKnots(index);
    }

    /// <summary>Whether a counter failed or was reset inside [<paramref name="a"/>, <paramref name="b"/>].</summary>
    public bool GapIn(long a, long b)
    {
        lock (_sync) return _counters.GapIn(a, b);
    }

    /// <summary>Counter <paramref name="index"/> at <paramref name="t"/> (NaN where unknown).</summary>
    public double CounterAt(int index, long t)
    {
        lock (_sync) return _counters.At(index, t);
    }

    private void Complete(Query q) =>
        _done.Enqueue((q.Result(_counters.LongestPeriodTicks, _counters.PeriodUnknown, _origin), q.Tag));
}
