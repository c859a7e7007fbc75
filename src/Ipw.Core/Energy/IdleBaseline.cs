using System.Diagnostics;
using Ipw.Core.Measurement;

namespace Ipw.Core.Energy;

/// <summary>Idle power over one baseline window (model loaded, no requests).</summary>
/// <param name="MeanW">Energy over the window divided by its duration.</param>
/// <param name="SigmaW">Standard deviation of the power over equal bins of the window; null with one bin (unknown, not 0).</param>
public sealed record IdleMeasurement(string Phase, double DurationS, double EnergyJ, double MeanW, double? SigmaW, int Bins)
{
    /// <summary>The window's middle (a monotonic timestamp): where this measurement stands when idle power is
    /// interpolated between the windows before and after the run.</summary>
    public long MidT { get; init; }

    /// <summary>How many times the counters stepped inside the window (the fewest of any stepped counter); null for
    /// counters current at read time.</summary>
    public int? CounterSteps { get; init; }

    /// <summary>How well <see cref="MeanW"/> is known, W: the bins' standard error, or with one bin the counter's
    /// granularity (one period's worth of energy at the mean power, over the window).</summary>
    public double StandardErrorW { get; init; }

    /// <summary><c>few_counter_steps</c> when the window rests on fewer than <see cref="IdleBaseline.MinSteps"/>
    /// counter steps; empty when none.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    /// <summary>The idle power counter by counter (in the attributor's order), W: they add up to <see cref="MeanW"/>.</summary>
    public IReadOnlyList<double> ByCounterW { get; init; } = [];
}

/// <summary>Measures idle power from the energy counters the attributor tracks.</summary>
public static class IdleBaseline
{
    /// <summary>A baseline that saw fewer counter steps than this is flagged: with a slow counter it is a guess.</summary>
    public const int MinSteps = 4;

    /// <summary>Waits <paramref name="duration"/> with no requests, then reads the counters' energy over the window
    /// in bins of at least one second (and at least two counter periods). Null when the counters did not cover it.</summary>
    /// <param name="sample">Takes a telemetry sample now (so the counters' end is known without waiting for the sampler).</param>
    public static async Task<IdleMeasurement?> MeasureAsync(EnergyAttributor attributor, string phase, TimeSpan duration, Action sample,
        TimeSpan sampleInterval, CancellationToken cancel)
    {
        sample();
        var t0 = Stopwatch.GetTimestamp();
        attributor.Hold(t0);
        try
        {
            var t1 = t0 + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var read = ReadInterval(attributor.Clocks, sampleInterval);
            var dither = new Random();
            try
            {
                // Read often while nothing else runs: each step is then placed to within a few ms, not the sampler's
                // tens, and the baseline's error (subtracted from every query) shrinks with it.
                for (var left = t1 - Stopwatch.GetTimestamp(); left > 0; left = t1 - Stopwatch.GetTimestamp())
                {
                    var wait = Math.Min(read.TotalSeconds * (0.5 + dither.NextDouble()), (double)left / Stopwatch.Frequency);
                    await Task.Delay(TimeSpan.FromSeconds(wait), cancel).ConfigureAwait(false);
                    sample();
                }
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            await WaitForHorizonAsync(attributor, t1, sample, sampleInterval, cancel).ConfigureAwait(false);
            return Measure(attributor, phase, t0, t1);
        }
        finally
        {
            attributor.Release();
        }
    }

    /// <summary>How often a baseline window reads the counters: as often as places each step of the slowest stepped
    /// counter (<see cref="CounterClock.PlacingReads"/>; 10 ms when every counter is current at read time), never slower
    /// than the sampler.</summary>
    internal static TimeSpan ReadInterval(IReadOnlyList<CounterClock> clocks, TimeSpan sampleInterval)
    {
        var read = clocks.Select(c => c.PlacingReads).Where(r => r > TimeSpan.Zero).DefaultIfEmpty(TimeSpan.FromMilliseconds(10)).Min();
        return sampleInterval > TimeSpan.Zero && sampleInterval < read ? sampleInterval : read;
    }

    /// <summary>The idle power over [<paramref name="t0"/>, <paramref name="t1"/>] from the counters as the attributor
    /// holds them; null when they do not cover it.</summary>
    public static IdleMeasurement? Measure(EnergyAttributor attributor, string phase, long t0, long t1)
    {
        if (double.IsNaN(attributor.CounterAt(t1) - attributor.CounterAt(t0))) return null;
        var seconds = Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
        var period = attributor.CounterPeriod?.TotalSeconds ?? 0;
        var binSeconds = Math.Max(1.0, 2 * period);
        // Rounded: a 2 s window measured as 1.998 s is two bins of a second, not one.
        var bins = Math.Max(1, (int)Math.Round(seconds / binSeconds));
        var powers = new double[bins];
        var step = (t1 - t0) / bins;
        for (var i = 0; i < bins; i++)
        {
            var a = t0 + i * step;
            var b = i == bins - 1 ? t1 : a + step;
            powers[i] = (attributor.CounterAt(b) - attributor.CounterAt(a)) / ((double)(b - a) / Stopwatch.Frequency);
        }
        double? sigma = bins > 1 ? MathNet.Numerics.Statistics.Statistics.StandardDeviation(powers) : null;
        var steps = attributor.StepsIn(t0, t1);
        int? counted = steps == int.MaxValue ? null : steps;
        var byCounter = new double[attributor.Clocks.Count];
        var slopeVariance = 0.0;
        for (var i = 0; i < byCounter.Length; i++)
        {
            var ends = (attributor.CounterAt(i, t1) - attributor.CounterAt(i, t0)) / seconds;
            var fit = attributor.Clocks[i].Stepped && !attributor.GapIn(t0, t1) ? StepSlope(attributor.Knots(i), t0, t1) : null;
            byCounter[i] = fit?.SlopeW ?? ends;
            slopeVariance += fit is { } f ? f.StandardErrorW * f.StandardErrorW : 0;
        }
        var mean = byCounter.Sum();
        var binsError = sigma is { } s ? s / Math.Sqrt(bins) : Math.Abs(mean) * period / seconds;
        return new IdleMeasurement(phase, seconds, mean * seconds, mean, sigma, bins)
        {
            MidT = t0 + (t1 - t0) / 2,
            CounterSteps = counted,
            StandardErrorW = Math.Max(binsError, Math.Sqrt(slopeVariance)),
            Flags = counted < MinSteps ? ["few_counter_steps"] : [],
            ByCounterW = byCounter,
        };
    }

    /// <summary>
    /// A stepped counter's power over the window as the least-squares slope of its steps (time, joules) inside it.
    /// Each step's value is exact but its time is known only to within the reads around it and the counter's own
    /// jitter about its grid; the window's two ends rest on one step each, the slope on all of them, so its error
    /// shrinks with their number instead of being set by the worst-placed end. A step placed more than a quarter
    /// period off the line (a first reading placed before its step was seen) is left out and the line fitted again.
    /// Null with fewer than <see cref="MinSteps"/> steps: the ends are all there is.
    /// </summary>
    internal static (double SlopeW, double StandardErrorW)? StepSlope(IReadOnlyList<(long T, double V)> knots, long t0, long t1)
    {
        var steps = new List<(double T, double V)>();
        for (var k = 1; k < knots.Count; k++)
            if (knots[k].T > t0 && knots[k].T <= t1 && knots[k].V != knots[k - 1].V)
                steps.Add(((double)(knots[k].T - t0) / Stopwatch.Frequency, knots[k].V));
        if (Fit(steps) is not { } first) return null;
        var period = MathNet.Numerics.Statistics.Statistics.Median(steps.Zip(steps.Skip(1), (x, y) => y.T - x.T));
        var kept = steps.Where(p => Math.Abs(p.V - first.Intercept - first.Slope * p.T) <= Math.Abs(first.Slope) * period / 4).ToList();
        var fit = kept.Count < steps.Count ? Fit(kept) ?? first : first;
        return (fit.Slope, fit.StandardError);
    }

    private static (double Intercept, double Slope, double StandardError)? Fit(List<(double T, double V)> points)
    {
        if (points.Count < MinSteps) return null;
        var ts = points.Select(p => p.T).ToArray();
        var vs = points.Select(p => p.V).ToArray();
        var (intercept, slope) = MathNet.Numerics.Fit.Line(ts, vs);
        var tMean = ts.Average();
        var sxx = ts.Sum(t => (t - tMean) * (t - tMean));
        if (sxx <= 0) return null;
        var residuals = points.Sum(p => Math.Pow(p.V - intercept - slope * p.T, 2));
        return (intercept, slope, Math.Sqrt(residuals / (points.Count - 2) / sxx));
    }

    /// <summary>Samples until the counters are known past <paramref name="t"/>; gives up after a few counter periods
    /// (a counter that stops updating is reported by what it leaves unknown, never waited on forever).</summary>
    public static async Task<bool> WaitForHorizonAsync(EnergyAttributor attributor, long t, Action sample, TimeSpan sampleInterval, CancellationToken cancel)
    {
        var period = attributor.CounterPeriod ?? TimeSpan.Zero;
        var limit = TimeSpan.FromSeconds(Math.Max(1.0, 4 * Math.Max(period.TotalSeconds, sampleInterval.TotalSeconds)));
        var start = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(Math.Clamp(period.TotalMilliseconds / 4, 1, 20));
        while (attributor.Horizon < t)
        {
            if (Stopwatch.GetElapsedTime(start) > limit || cancel.IsCancellationRequested) return false;
            await Task.Delay(pause, CancellationToken.None).ConfigureAwait(false);
            sample();
        }
        return true;
    }
}
