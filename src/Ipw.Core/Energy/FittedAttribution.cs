using System.Diagnostics;

namespace Ipw.Core.Energy;

/// <summary>A query as the attributor saw it: start, first token (its end when none came) and end, monotonic ticks.</summary>
public readonly record struct QueryTimes(long Start, long FirstToken, long End);

/// <summary>One query's energy from the fitted model, J: its share of each counter's energy and the part above each one's
/// idle power (in the counters' order); the totals add them up in that order.</summary>
public readonly record struct FittedShare(IReadOnlyList<double> ShareJByCounter, IReadOnlyList<double> ActiveJByCounter)
{
    public double ShareJ => AttributedEnergy.Total(ShareJByCounter);
    public double ActiveJ => AttributedEnergy.Total(ActiveJByCounter);
}

/// <summary>The fitted run: each query's share, what fell in idle gaps, and each counter's fitted power per query.</summary>
public sealed record FittedRun(FittedShare[] Queries, double GrossJ, double UnattributedJ, double UnattributedActiveJ,
    IReadOnlyList<FittedCounter> Counters);

/// <summary>A counter's fit: watts a query draws above idle while it prefills and while it decodes (null when the run
/// could not tell them apart and both phases were given the mean), over how many counter intervals.</summary>
public sealed record FittedCounter(double? PrefillW, double? DecodeW, double MeanQueryW, int Intervals);

/// <summary>
/// Energy attribution by a power model fitted to the run itself, computed once the run is over (every counter reading
/// and every query's times are known by then). Each counter's power is modelled as
/// <c>P(t) = P_idle(t) + a·n_prefill(t) + b·n_decode(t)</c>: the idle power from the baselines, plus a watts for each
/// query in prefill (before its first token) and b for each one decoding. a and b are fitted by least squares to the
/// energy the counter published in each of its intervals (between two updates), given how many query-seconds of each
/// phase fell in it. Then each interval's measured energy is spread over its pieces (cut at every query start, first
/// token and end) in proportion to the model's power, so a query that starts or stops between two counter updates gets
/// the energy the model says it drew there rather than a straight line's share; and each piece's energy above idle goes
/// to the queries in it by their phase's watts. Every interval keeps exactly the energy the counter measured, so the
/// queries' shares plus the idle gaps add up to the counters' delta. Where the fit cannot separate the phases (too few
/// intervals, or a negative watt), both get the mean query power: time overlap, still shaped at the edges.
/// </summary>
public static class FittedAttribution
{
    /// <summary>Below this many intervals with queries in them, the phases are not separated.</summary>
    public const int MinIntervals = 8;

    /// <param name="knots">Per counter, its readings placed at their update times (T ascending), covering the span.</param>
    /// <param name="idleW">Per counter, its idle power at a time.</param>
    /// <param name="queries">The queries, each fitted (their order is kept in the result).</param>
    /// <param name="from">Where the measured span begins.</param>
    /// <param name="to">Where it ends.</param>
    public static FittedRun Run(IReadOnlyList<IReadOnlyList<(long T, double V)>> knots, Func<int, long, double> idleW,
        IReadOnlyList<QueryTimes> queries, long from, long to)
    {
        var order = Enumerable.Range(0, queries.Count).OrderBy(i => queries[i].Start).ToArray();
        var share = new double[queries.Count, knots.Count];
        var active = new double[queries.Count, knots.Count];
        double gross = 0, gap = 0, gapActive = 0;
        var fits = new List<FittedCounter>(knots.Count);
        for (var c = 0; c < knots.Count; c++)
        {
            var intervals = Intervals(knots[c], from, to);
            var fit = Fit(intervals, c, idleW, queries, order);
            fits.Add(fit);
            var a = fit.PrefillW ?? fit.MeanQueryW;
            var b = fit.DecodeW ?? fit.MeanQueryW;
            var sweep = new Sweep(queries, order);
            foreach (var iv in intervals)
            {
                var inside = sweep.Overlapping(iv.A, iv.B);
                var pieces = Pieces(iv, inside, queries, from, to);
                double model = 0;
                foreach (var p in pieces) model += Math.Max(idleW(c, p.Mid) + a * p.Prefill + b * p.Decode, 1e-9) * p.Seconds;
                foreach (var p in pieces)
                {
                    if (!p.Counted) continue;
                    var energy = iv.Energy * Math.Max(idleW(c, p.Mid) + a * p.Prefill + b * p.Decode, 1e-9) * p.Seconds / model;
                    var above = energy - idleW(c, p.Mid) * p.Seconds;
                    gross += energy;
                    if (p.Prefill + p.Decode == 0)
                    {
                        gap += energy;
                        gapActive += above;
                        continue;
                    }
                    var weights = p.Prefill * a + p.Decode * b;
                    foreach (var q in inside)
                    {
                        var phase = Phase(queries[q], p.From, p.To);
                        if (phase == 0) continue;
                        // Equal shares when the watts do not separate the queries (both zero).
                        var w = weights > 0 ? (phase == 1 ? a : b) / weights : 1.0 / (p.Prefill + p.Decode);
                        share[q, c] += energy * w;
                        active[q, c] += above * w;
                    }
                }
            }
        }
        var result = new FittedShare[queries.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = new FittedShare(Enumerable.Range(0, knots.Count).Select(c => share[i, c]).ToArray(),
                Enumerable.Range(0, knots.Count).Select(c => active[i, c]).ToArray());
        return new FittedRun(result, gross, gap, gapActive, fits);
    }

    private readonly record struct Interval(long A, long B, double Energy);

    private readonly record struct Piece(long From, long To, int Prefill, int Decode, bool Counted)
    {
        public double Seconds => (double)(To - From) / Stopwatch.Frequency;
        public long Mid => From + (To - From) / 2;
    }

    /// <summary>The counter's intervals that touch the span, whole (the model needs all of one to shape it).</summary>
    private static List<Interval> Intervals(IReadOnlyList<(long T, double V)> knots, long from, long to)
    {
        var list = new List<Interval>();
        for (var k = 1; k < knots.Count; k++)
        {
            var (a, va) = knots[k - 1];
            var (b, vb) = knots[k];
            if (b <= from || a >= to || b <= a) continue;
            list.Add(new Interval(a, b, vb - va));
        }
        return list;
    }

    /// <summary>1 while the query prefills over [a, b], 2 while it decodes, 0 when it is not running.</summary>
    private static int Phase(QueryTimes q, long a, long b) =>
        a >= q.Start && b <= q.FirstToken && q.FirstToken > q.Start ? 1 : a >= q.FirstToken && b <= q.End ? 2 : 0;

    /// <summary>The interval cut at every event of the queries in it and at the span's ends; pieces outside the span are
    /// shaped but not counted.</summary>
    private static List<Piece> Pieces(Interval iv, List<int> inside, IReadOnlyList<QueryTimes> queries, long from, long to)
    {
        var cuts = new SortedSet<long> { iv.A, iv.B };
        if (from > iv.A && from < iv.B) cuts.Add(from);
        if (to > iv.A && to < iv.B) cuts.Add(to);
        foreach (var q in inside)
            foreach (var t in new[] { queries[q].Start, queries[q].FirstToken, queries[q].End })
                if (t > iv.A && t < iv.B) cuts.Add(t);
        var pieces = new List<Piece>(cuts.Count);
        long? last = null;
        foreach (var t in cuts)
        {
            if (last is { } a)
            {
                int prefill = 0, decode = 0;
                foreach (var q in inside)
                {
                    var phase = Phase(queries[q], a, t);
                    if (phase == 1) prefill++;
                    else if (phase == 2) decode++;
                }
                pieces.Add(new Piece(a, t, prefill, decode, a >= from && t <= to));
            }
            last = t;
        }
        return pieces;
    }

    /// <summary>Least squares for a and b over the intervals inside the span that held a query; the mean query power
    /// when they cannot be told apart.</summary>
    private static FittedCounter Fit(List<Interval> intervals, int counter, Func<int, long, double> idleW, IReadOnlyList<QueryTimes> queries, int[] order)
    {
        double spp = 0, spd = 0, sdd = 0, spy = 0, sdy = 0, sy = 0, sn = 0;
        var used = 0;
        var sweep = new Sweep(queries, order);
        foreach (var iv in intervals)
        {
            double prefill = 0, decode = 0;
            foreach (var q in sweep.Overlapping(iv.A, iv.B))
            {
                var t = queries[q];
                prefill += Overlap(t.Start, t.FirstToken, iv.A, iv.B);
                decode += Overlap(t.FirstToken, t.End, iv.A, iv.B);
            }
            if (prefill + decode <= 0) continue;
            var seconds = (double)(iv.B - iv.A) / Stopwatch.Frequency;
            var y = iv.Energy - idleW(counter, iv.A + (iv.B - iv.A) / 2) * seconds;
            spp += prefill * prefill; spd += prefill * decode; sdd += decode * decode;
            spy += prefill * y; sdy += decode * y;
            sy += y; sn += prefill + decode;
            used++;
        }
        var mean = sn > 0 ? Math.Max(sy / sn, 0) : 0;
        var det = spp * sdd - spd * spd;
        if (used >= MinIntervals && det > 1e-12 * (spp * sdd))
        {
            var a = (spy * sdd - sdy * spd) / det;
            var b = (sdy * spp - spy * spd) / det;
            if (a >= 0 && b >= 0) return new FittedCounter(a, b, mean, used);
        }
        return new FittedCounter(null, null, mean, used);
    }

    private static double Overlap(long a, long b, long x, long y) => Math.Max(0, Math.Min(b, y) - Math.Max(a, x)) / (double)Stopwatch.Frequency;

    /// <summary>Walks the intervals in time order, keeping the queries that overlap the current one.</summary>
    private sealed class Sweep(IReadOnlyList<QueryTimes> queries, int[] order)
    {
        private readonly List<int> _open = [];
        private int _next;

        public List<int> Overlapping(long a, long b)
        {
            while (_next < order.Length && queries[order[_next]].Start < b) _open.Add(order[_next++]);
            _open.RemoveAll(q => queries[q].End <= a);
            return _open.Where(q => queries[q].Start < b && queries[q].End > a).ToList();
        }
    }
}
