using System.Globalization;

namespace Ipw.Core.Load;

/// <summary>
/// The pause between a conversation's turns (<c>--turn-gap</c>): a user reading the answer and typing the next message.
/// <c>0s</c> (none), a fixed duration (<c>2s</c>), or <c>normal:MEAN,SD</c> (durations or seconds; a draw below 0 is 0),
/// drawn from a seeded generator per conversation, so a run repeats. Not measured: the next turn's window opens when it
/// is sent.
/// </summary>
public sealed record ThinkTime(TimeSpan Mean, TimeSpan StandardDeviation)
{
    public static readonly ThinkTime None = new(TimeSpan.Zero, TimeSpan.Zero);

    public static ThinkTime Parse(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith("normal:", StringComparison.OrdinalIgnoreCase)) return new(Durations.Parse("--turn-gap", t, allowZero: true), TimeSpan.Zero);
        var parts = t["normal:".Length..].Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2) throw new UserError($"--turn-gap expects 0s, a duration such as 2s, or normal:MEAN,SD such as normal:3s,1s; got '{text}'");
        return new(Durations.Parse("--turn-gap", parts[0], allowZero: true), Durations.Parse("--turn-gap", parts[1], allowZero: true));
    }

    /// <summary>One gap drawn with <paramref name="random"/> (MathNet's normal), never negative.</summary>
    public TimeSpan Draw(Random random) =>
        StandardDeviation == TimeSpan.Zero
            ? Mean
            : TimeSpan.FromSeconds(Math.Max(0, MathNet.Numerics.Distributions.Normal.Sample(random, Mean.TotalSeconds, StandardDeviation.TotalSeconds)));

    public override string ToString() => StandardDeviation == TimeSpan.Zero
        ? Seconds(Mean)
        : $"normal:{Seconds(Mean)},{Seconds(StandardDeviation)}";

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("R", CultureInfo.InvariantCulture) + "s";
}
