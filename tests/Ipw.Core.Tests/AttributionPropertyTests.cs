using System.Diagnostics;
using CsCheck;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;

namespace Ipw.Core.Tests;

/// <summary>
/// The attribution's invariants over random runs (CsCheck: generated, and shrunk to the smallest failing run): every
/// joule measured is attributed or unattributed, once; no query's share is negative; and the order in which queries are
/// handed over (the consumer sees them in completion order, not start order) changes no share.
/// </summary>
public sealed class AttributionPropertyTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    public sealed record Query(int StartMs, int DurationMs, int TtftMs);

    public sealed record Case(Query[] Queries, int PeriodMs, int Seed, AttributionMethod Method)
    {
        public override string ToString() =>
            $"{Method}, {PeriodMs} ms counter, seed {Seed}: " + string.Join(" ", Queries.Select(q => $"[{q.StartMs}+{q.DurationMs} ttft {q.TtftMs}]"));
    }

    private static readonly Gen<Case> Cases =
        from queries in Gen.Select(Gen.Int[0, 1500], Gen.Int[5, 900], Gen.Double[0.02, 0.95],
            (start, duration, first) => new Query(start, duration, (int)(duration * first))).Array[1, 9]
        from period in Gen.Int[0, 3].Select(i => new[] { 1, 10, 20, 100 }[i])
        from seed in Gen.Int[0, 1_000_000]
        from method in Gen.Bool.Select(b => b ? AttributionMethod.Phase : AttributionMethod.Overlap)
        select new Case(queries, period, seed, method);

    private sealed record Books(Dictionary<int, AttributedEnergy> Shares, double MeasuredJ, double AttributedJ, double UnattributedJ);

    /// <summary>40 W idle and 25 W per query in flight, published every PeriodMs and read every 5 ms; every query handed
    /// over after the run, in <paramref name="order"/>.</summary>
    private static Books Run(Case c, IReadOnlyList<int> order)
    {
        var endMs = c.Queries.Max(q => q.StartMs + q.DurationMs) + 2 * c.PeriodMs + 50;
        var joules = new double[endMs + 1];
        for (var t = 1; t <= endMs; t++)
            joules[t] = joules[t - 1] + (40 + 25 * c.Queries.Count(q => q.StartMs <= t - 1 && t - 1 < q.StartMs + q.DurationMs)) / 1000.0;
        var a = new EnergyAttributor([CounterClock.Every(TimeSpan.FromMilliseconds(c.PeriodMs))], c.Method, prefillWeight: 0.5);
        a.AddReading(0, [0]);
        a.StartMeasuring(0);
        var ids = new int[c.Queries.Length];
        for (var t = 0; t <= endMs; t++)
        {
            if (t % 5 == 0) a.AddReading(t * Ms, [joules[t / c.PeriodMs * c.PeriodMs]]);
            for (var i = 0; i < c.Queries.Length; i++)
                if (c.Queries[i].StartMs == t) ids[i] = a.Begin(t * Ms).Id;
        }
        foreach (var i in order)
        {
            var q = c.Queries[i];
            a.End(ids[i], (q.StartMs + q.DurationMs) * Ms, (q.StartMs + q.TtftMs) * Ms, i);
        }
        a.Finish((endMs - c.PeriodMs - 5) * Ms);
        var shares = a.Drain().ToDictionary(d => (int)d.Tag!, d => d.Energy);
        return new Books(shares, a.MeasuredJ, a.AttributedJ, a.UnattributedJ);
    }

    private static int[] Shuffled(int n, int seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    [Fact]
    public void Every_joule_is_attributed_or_unattributed_once_and_no_share_is_negative() =>
        Cases.Sample(c =>
        {
            var books = Run(c, Enumerable.Range(0, c.Queries.Length).ToArray());
            Assert.Equal(c.Queries.Length, books.Shares.Count);
            foreach (var (i, e) in books.Shares)
                Assert.True(double.IsFinite(e.ShareJ) && e.ShareJ >= -1e-9, $"query {i}: share {e.ShareJ} J");
            Assert.Equal(books.AttributedJ, books.Shares.Values.Sum(e => e.ShareJ), 6);
            Assert.Equal(books.MeasuredJ, books.AttributedJ + books.UnattributedJ, 6);
            Assert.True(books.MeasuredJ > 0);
        }, iter: 150);

    [Fact]
    public void The_order_queries_are_handed_over_in_changes_no_share() =>
        Cases.Sample(c =>
        {
            var inOrder = Run(c, Enumerable.Range(0, c.Queries.Length).ToArray());
            var shuffled = Run(c, Shuffled(c.Queries.Length, c.Seed));
            foreach (var (i, e) in inOrder.Shares)
            {
                Assert.Equal(e.ShareJ, shuffled.Shares[i].ShareJ, 9);
                Assert.Equal(e.ShareSeconds, shuffled.Shares[i].ShareSeconds, 9);
            }
            Assert.Equal(inOrder.UnattributedJ, shuffled.UnattributedJ, 9);
        }, iter: 150);
}
