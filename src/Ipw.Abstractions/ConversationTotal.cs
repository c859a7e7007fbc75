namespace Ipw.Abstractions;

/// <summary>
/// A replayed conversation (<c>turns=all</c>) taken whole, from its turns' records, defined once for summary.json and the
/// <c>conversations</c> analysis. A conversation is complete when every one of its turns was sent and answered (a failed
/// turn or a stop ends it early); only a complete conversation has a total: its energy is the sum of its turns' energy
/// (null when any turn lacks one, never the sum of those measured), its duration runs from its first turn's send to its
/// last turn's end (the think time between turns included), and it is right when every graded turn is.
/// </summary>
public sealed class ConversationTotal
{
    private double _energyJ, _firstSentS = double.PositiveInfinity, _lastCompletedS = double.NegativeInfinity;
    private long _outputTokens;
    private bool _energyMissing, _outputMissing;

    /// <summary>The conversation's user turns, as planned; 0 until a record says.</summary>
    public int PlannedTurns { get; private set; }

    /// <summary>Turns recorded, and of those the ones answered without error.</summary>
    public int Turns { get; private set; }

    /// <inheritdoc cref="Turns"/>
    public int OkTurns { get; private set; }

    /// <summary>Turns graded, and of those the ones right.</summary>
    public int Graded { get; private set; }

    /// <inheritdoc cref="Graded"/>
    public int Right { get; private set; }

    /// <summary>Adds one turn's record.</summary>
    /// <param name="plannedTurns">The record's <c>conversation_turns</c>.</param>
    /// <param name="ok">The turn was answered without error.</param>
    /// <param name="energyJ">Its attributed energy; null or NaN when not measured.</param>
    /// <param name="sentAtS">When it was sent, on the run's clock.</param>
    /// <param name="completedAtS">When it ended, on the run's clock.</param>
    /// <param name="outputTokens">Its output tokens; null or NaN when not known.</param>
    /// <param name="correct">Its grade; null when not graded.</param>
    public void Add(int? plannedTurns, bool ok, double? energyJ, double? sentAtS, double? completedAtS, double? outputTokens, bool? correct)
    {
        if (plannedTurns is { } planned) PlannedTurns = Math.Max(PlannedTurns, planned);
        Turns++;
        if (ok) OkTurns++;
        if (energyJ is { } e && double.IsFinite(e)) _energyJ += e; else _energyMissing = true;
        if (outputTokens is { } o && double.IsFinite(o)) _outputTokens += (long)o; else _outputMissing = true;
        if (sentAtS is { } s && double.IsFinite(s)) _firstSentS = Math.Min(_firstSentS, s);
        if (completedAtS is { } c && double.IsFinite(c)) _lastCompletedS = Math.Max(_lastCompletedS, c);
        if (correct is { } right)
        {
            Graded++;
            if (right) Right++;
        }
    }

    /// <summary>Every planned turn was recorded and answered.</summary>
    public bool Complete => PlannedTurns > 0 && Turns == PlannedTurns && OkTurns == PlannedTurns;

    /// <summary>The complete conversation's energy, J: its turns' summed; null when incomplete or a turn lacks energy.</summary>
    public double? EnergyJ => Complete && !_energyMissing ? _energyJ : null;

    /// <summary>The complete conversation's output tokens; null when incomplete or a turn's count is unknown.</summary>
    public long? OutputTokens => Complete && !_outputMissing ? _outputTokens : null;

    /// <summary>From the first turn's send to the last turn's end, s, think time included; null when incomplete.</summary>
    public double? DurationS => Complete && _lastCompletedS >= _firstSentS ? _lastCompletedS - _firstSentS : null;

    /// <summary>Every graded turn of the complete conversation was right; null when incomplete or no turn was graded.</summary>
    public bool? Correct => Complete && Graded > 0 ? Right == Graded : null;
}
