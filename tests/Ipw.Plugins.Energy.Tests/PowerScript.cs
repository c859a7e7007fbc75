namespace Ipw.Plugins.Energy.Tests;

/// <summary>
/// A power trace made of linear segments (a step is a segment whose ends are equal), repeated for ever, with its exact
/// energy: the ground truth that scripted counters and samples are compared with.
/// </summary>
public sealed class PowerScript
{
    private readonly (double Seconds, double FromW, double ToW)[] _segments;
    private readonly double[] _energyBefore;
    private readonly double _cycleSeconds, _cycleJoules;

    /// <param name="segments">Each segment's length in seconds and its power at its start and end, in watts.</param>
    public PowerScript(params (double Seconds, double FromW, double ToW)[] segments)
    {
        if (segments.Length == 0 || segments.Any(s => s.Seconds <= 0 || s.FromW < 0 || s.ToW < 0))
            throw new ArgumentException("segments must have positive lengths and non-negative power", nameof(segments));
        _segments = segments;
        _energyBefore = new double[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            _energyBefore[i] = _cycleJoules;
            _cycleSeconds += segments[i].Seconds;
            _cycleJoules += segments[i].Seconds * (segments[i].FromW + segments[i].ToW) / 2;
        }
    }

    /// <summary>A constant power.</summary>
    public static PowerScript Constant(double watts) => new((1, watts, watts));

    /// <summary>The highest power the script reaches.</summary>
    public double MaxWatts => _segments.Max(s => Math.Max(s.FromW, s.ToW));

    /// <summary>The exact energy from 0 to <paramref name="seconds"/> (0 before the start).</summary>
    public double Joules(double seconds)
    {
        if (seconds <= 0) return 0;
        var cycles = Math.Floor(seconds / _cycleSeconds);
        var t = seconds - cycles * _cycleSeconds;
        var energy = cycles * _cycleJoules;
        for (var i = 0; i < _segments.Length; i++)
        {
            var (length, from, to) = _segments[i];
            if (t > length)
            {
                t -= length;
                continue;
            }
            // The integral of a line from its start to t.
            return energy + _energyBefore[i] + from * t + (to - from) * t * t / (2 * length);
        }
        return energy + _cycleJoules;
    }

    /// <summary>The exact energy between two moments.</summary>
    public double Joules(double fromSeconds, double toSeconds) => Joules(toSeconds) - Joules(fromSeconds);
}
