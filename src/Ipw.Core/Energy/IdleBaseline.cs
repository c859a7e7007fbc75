using System.Diagnostics;

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
            try
            {
                await Task.Delay(duration, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            var t1 = Stopwatch.GetTimestamp();
            await WaitForHorizonAsync(attributor, t1, sample, sampleInterval, cancel).ConfigureAwait(false);
            return Measure(attributor, phase, t0, t1);
        }
        finally
        {
            attributor.Release();
        }
    }

    /// <summary>The idle power over [<paramref name="t0"/>, <paramref name="t1"/>] from the counters as the attributor
    /// holds them; null when they do not cover it.</summary>
    public static IdleMeasurement? Measure(EnergyAttributor attributor, string phase, long t0, long t1)
    {
        var total = attributor.CounterAt(t1) - attributor.CounterAt(t0);
        if (double.IsNaN(total)) return null;
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
        var mean = total / seconds;
        var steps = attributor.StepsIn(t0, t1);
        int? counted = steps == int.MaxValue ? null : steps;
        return new IdleMeasurement(phase, seconds, total, mean, sigma, bins)
        {
            MidT = t0 + (t1 - t0) / 2,
            CounterSteps = counted,
            StandardErrorW = sigma is { } s ? s / Math.Sqrt(bins) : Math.Abs(mean) * period / seconds,
            Flags = counted < MinSteps ? ["few_counter_steps"] : [],
            ByCounterW = Enumerable.Range(0, attributor.Clocks.Count)
                .Select(i => (attributor.CounterAt(i, t1) - attributor.CounterAt(i, t0)) / seconds).ToArray(),
        };
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
