using System.Diagnostics;
using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Measurement;
using Ipw.Core.Records;
using Ipw.Core.Runs;

namespace Ipw.Core.Tests;

/// <summary>
/// A GPU and a CPU counter, each with its own idle power and its own watts per running query, integrated exactly and
/// published every 20 ms: every query's energy, active energy and power come device by device, add up exactly to the
/// record's totals, and each device's active energy is what that device drew above its own idle power.
/// </summary>
public class PerDeviceEnergyTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    // Idle and per-query watts: GPU 60 W + 200 W a query, CPU 20 W + 10 W a query.
    private static readonly double[] IdleW = [60, 20];
    private static readonly double[] QueryW = [200, 10];
    private static readonly (double Start, double End)[] Queries = [(3000, 4000), (3500, 5000), (6000, 6500)];

    private static double Running(double ms) => Queries.Sum(q => Math.Max(0, Math.Min(ms, q.End) - q.Start));

    private static double Joules(int device, double ms) => (IdleW[device] * ms + QueryW[device] * Running(ms)) / 1000;

    private static void Feed(EnergyAttributor a, double fromMs, double toMs)
    {
        for (var t = fromMs; t <= toMs + 1e-9; t += 5)
        {
            var published = Math.Floor(t / 20) * 20;
            a.AddReading((long)(t * Ms), [Joules(0, published), Joules(1, published)]);
        }
    }

    [Theory]
    [InlineData(AttributionMethod.Overlap)]
    [InlineData(AttributionMethod.Fitted)]
    public void Each_device_gets_its_own_share_and_its_own_idle_and_the_lists_add_up_to_the_totals(AttributionMethod method)
    {
        var period = CounterClock.Every(TimeSpan.FromMilliseconds(20));
        var a = new EnergyAttributor([period, period], method);
        a.Hold(0);
        Feed(a, 0, 2500);
        var before = IdleBaseline.Measure(a, "before", 0, 2000 * Ms)!;
        a.Release();
        Assert.Equal(IdleW, before.ByCounterW.Select(w => Math.Round(w, 6)));
        a.StartMeasuring(2500 * Ms);
        var ids = new int[Queries.Length];
        var events = Queries.SelectMany((q, i) => new[] { (T: q.Start, End: false, I: i), (T: q.End, End: true, I: i) }).OrderBy(e => e.T);
        var fed = 2500.0;
        foreach (var e in events)
        {
            Feed(a, fed + 5, e.T);
            fed = e.T;
            if (!e.End) ids[e.I] = a.Begin((long)(e.T * Ms)).Id;
            else a.End(ids[e.I], (long)(e.T * Ms), (long)((Queries[e.I].Start + 100) * Ms), e.I);
        }
        Feed(a, fed + 5, 9600);
        a.Finish(7000 * Ms);
        a.Hold(7500 * Ms);
        var after = IdleBaseline.Measure(a, "after", 7500 * Ms, 9500 * Ms)!;
        var drained = a.Drain().OrderBy(d => (int)d.Tag!).Select(d => d.Energy).ToList();
        Assert.Equal(3, drained.Count);

        foreach (var e in drained)
        {
            Assert.Equal(2, e.ShareJByCounter.Count);
            Assert.Equal(e.ShareJ, e.ShareJByCounter[0] + e.ShareJByCounter[1]);
            Assert.Equal(e.WindowJ, e.WindowJByCounter[0] + e.WindowJByCounter[1]);
        }

        // Through the data file: the finaliser rewrites each device's entry with the final values, its name kept.
        var finaliser = new ActiveEnergyFinaliser();
        foreach (var e in drained) finaliser.Add(e);
        finaliser.Close(new IdleSummary(before, after), a);
        var rows = drained.Select(e => QueryRecord.Of(RecordColumns.EnergyJ.With(e.ShareJ), RecordColumns.EnergyQuality.With("ok"),
            RecordColumns.EnergyMethod.With("overlap-share"),
            RecordColumns.EnergyByDevice.With(DeviceParts.Of(["gpu0", "package-0"], e.ShareJByCounter, null, [100, 20])))).ToList();
        var batch = finaliser.Rewrite(RecordSchema.Layout.Batch(rows));
        var energy = (DoubleArray)batch.Column(RecordColumns.EnergyJ.Name);
        var active = (DoubleArray)batch.Column(RecordColumns.ActiveEnergyJ.Name);
        var byDevice = RecordReader.Rows(batch, [RecordColumns.EnergyByDevice]).Select(r => r.Get(RecordColumns.EnergyByDevice)!).ToList();
        for (var i = 0; i < Queries.Length; i++)
        {
            Assert.Equal(["gpu0", "package-0"], byDevice[i].Select(d => d.Device));
            Assert.Equal([100.0, 20.0], byDevice[i].Select(d => d.AvgPowerW!.Value)); // the window's power, kept
            var shares = byDevice[i].Select(d => d.EnergyJ!.Value).ToArray();
            var actives = byDevice[i].Select(d => d.ActiveEnergyJ!.Value).ToArray();
            Assert.Equal(energy.GetValue(i), shares[0] + shares[1]);
            Assert.Equal(active.GetValue(i), actives[0] + actives[1]);
            var seconds = (Queries[i].End - Queries[i].Start) / 1000;
            for (var d = 0; d < 2; d++)
                Assert.True(Math.Abs(actives[d] - QueryW[d] * seconds) <= 0.01 * QueryW[d] * seconds,
                    $"query {i} device {d}: active {actives[d]:F3} J, truth {QueryW[d] * seconds:F3} J ({method})");
        }
    }
}
