using Ipw.Abstractions;

namespace Ipw.Plugins.Graders;

/// <summary><c>exact</c>: the answer equals the reference after normalising case, spacing, quotes and final
/// punctuation (the whole answer, or its last line, or what follows "Answer:"). An argument is ignored.</summary>
internal sealed class ExactGrader : IGrader
{
    public static GraderDescriptor Descriptor { get; } = new("exact",
        "the answer equals the reference after normalising case, spacing, quotes and final punctuation (the whole answer, its last line, or what follows \"Answer:\")",
        _ => new ExactGrader());

    public bool NeedsReference => true;

    public Grade Grade(string answer, string? reference)
    {
        var expected = AnswerText.Required(reference, "exact");
        var want = AnswerText.Normalize(expected);
        foreach (var candidate in AnswerText.Candidates(answer))
        {
            if (AnswerText.Normalize(candidate) == want) return new Grade(true, 1, $"matches '{expected}'");
        }
        return new Grade(false, 0, $"expected '{expected}', got '{AnswerText.Shorten(answer)}'");
    }
}
