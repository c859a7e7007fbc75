namespace Ipw.Abstractions;

/// <summary>A grade: whether the answer is right, a score in [0, 1], and why.</summary>
/// <param name="Correct">True when the answer counts as right.</param>
/// <param name="Score">The answer's score, from 0 (wrong) to 1 (right); partial credit in between.</param>
/// <param name="Explanation">What the grader saw, in a few words (e.g. "expected 42, got 41").</param>
public sealed record Grade(bool Correct, double Score, string Explanation);

/// <summary>
/// Checks one answer, offline, when its query completes (and again from <c>ipw score</c>). A dataset item names its
/// grader as <c>name</c> or <c>name:argument</c>; the host creates one grader per distinct name and argument
/// (<see cref="GraderDescriptor.Create"/>) and reuses it for every answer, so a grader must be safe to call again and
/// should do its parsing (of the argument) once, when it is created.
/// </summary>
public interface IGrader
{
    /// <summary>Whether the grader needs the item's reference answer. The host does not call <see cref="Grade"/> on
    /// an item without one; it leaves that item ungraded, with the reason.</summary>
    bool NeedsReference { get; }

    /// <summary>Grades <paramref name="answer"/> (the model's whole response) against <paramref name="reference"/>.</summary>
    /// <param name="answer">The model's response text.</param>
    /// <param name="reference">The item's reference answer; null when the item has none.</param>
    /// <exception cref="ArgumentException">The reference cannot be used (not a number for a numeric grader, not a
    /// letter for a choice grader, missing when needed); the message says why, and the answer is left ungraded.</exception>
    Grade Grade(string answer, string? reference);
}

/// <summary>A named factory for an <see cref="IGrader"/>: the name dataset items give in their <c>grader</c> field.</summary>
/// <param name="Name">The grader's name, the part before any colon (e.g. "numeric"); it cannot contain a colon, and
/// "judge" belongs to the host (the LLM judge run by <c>ipw score</c>).</param>
/// <param name="Description">One line for <c>ipw list graders</c>, including what the argument means, if any.</param>
/// <param name="Create">Makes the grader from the text after the colon (null when the item names no argument, as in
/// "numeric"; "0.01" for "numeric:0.01"). Throws <see cref="PluginConfigurationException"/> with a one-line message
/// when the argument cannot work (e.g. a bad tolerance, a missing or invalid pattern).</param>
public sealed record GraderDescriptor(string Name, string Description, Func<string?, IGrader> Create)
    : EntryDescriptor(Name, Description);
