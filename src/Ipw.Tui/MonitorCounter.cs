using Ipw.Core.Measurement;

namespace Ipw.Tui;

/// <summary>One energy counter the run monitor charts: its track in the one counter model, where its energy line
/// started, and the last point drawn.</summary>
internal sealed class MonitorCounter(CounterTrack track)
{
    /// <summary>The monitor's clock (seconds) in the counter model's integer ticks.</summary>
    public const double TicksPerSecond = 1e6;

    public CounterTrack Track { get; } = track;
    public double? First { get; set; }
    public long LastPoint { get; set; }

    public static long Ticks(double seconds) => (long)Math.Round(seconds * TicksPerSecond);

    public static double Seconds(long ticks) => ticks / TicksPerSecond;
}
