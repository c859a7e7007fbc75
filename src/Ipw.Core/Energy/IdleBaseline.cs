using System.Diagnostics;

namespace Ipw.Core.Energy;

/// <summary>Idle power over one baseline window (model loaded, no requests).</summary>
/// <param name="MeanW">Energy over the window divided by its duration.</param>
/// <param name="SigmaW">Standard deviation of the power over equal bins of the window (0 with one bin).</param>
public sealed record IdleMeasurement(string Phase, double DurationS, double EnergyJ, double MeanW, double SigmaW, int Bins);

/// <summary>Measures idle power from the energy counters the attributor tracks.</summary>
public static class IdleBaseline
{
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
            var total = attributor.CounterAt(t1) - attributor.CounterAt(t0);
            if (double.IsNaN(total)) return null;
            var seconds = Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
            var binSeconds = Math.Max(1.0, 2 * (attributor.CounterPeriod?.TotalSeconds ?? 0));
            var bins = Math.Max(1, (int)Math.Floor(seconds / binSeconds));
            var powers = new double[bins];
            var step = (t1 - t0) / bins;
            for (var i = 0; i < bins; i++)
            {
                var a = t0 + i * step;
                var b = i == bins - 1 ? t1 : a + step;
                powers[i] = (attributor.CounterAt(b) - attributor.CounterAt(a)) / ((double)(b - a) / Stopwatch.Frequency);
            }
            var sigma = bins > 1 ? MathNet.Numerics.Statistics.Statistics.StandardDeviation(powers) : 0;
            return new IdleMeasurement(phase, seconds, total, total / seconds, sigma, bins);
        }
        finally
        {
            attributor.Release();
        }
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

/// <summary>The run's idle baseline: before and after, combined.</summary>
public sealed record IdleSummary(IdleMeasurement? Before, IdleMeasurement? After)
{
    /// <summary>The idle power every active energy subtracts (<see cref="Measurement.ActiveEnergy"/>): the one measured before
    /// the run, in force while the queries ran and known when each record is written. Null when it was not measured.</summary>
    public double? PowerW => Before?.MeanW;

    /// <summary>The energy of both windows over their total duration (reported beside <see cref="PowerW"/>).</summary>
    public double? MeanW
    {
        get
        {
            var parts = new[] { Before, After }.Where(m => m is not null).ToList();
            return parts.Count == 0 ? null : parts.Sum(m => m!.EnergyJ) / parts.Sum(m => m!.DurationS);
        }
    }

    /// <summary>Spread of idle power: the larger of the windows' bin deviations and half their difference (drift).</summary>
    public double? SigmaW
    {
        get
        {
            if (Before is null && After is null) return null;
            var sigma = Math.Max(Before?.SigmaW ?? 0, After?.SigmaW ?? 0);
            var drift = Before is not null && After is not null ? Math.Abs(After.MeanW - Before.MeanW) / 2 : 0;
            return Math.Max(sigma, drift);
        }
    }
}
