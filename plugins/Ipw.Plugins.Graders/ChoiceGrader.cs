using Ipw.Abstractions;

namespace Ipw.Plugins.Graders;

/// <summary><c>choice</c>: the letter the answer picks ("B", "(B)", "B.", "Answer: B", "The answer is B") equals the
/// reference letter. An argument is ignored.</summary>
internal sealed class ChoiceGrader : IGrader
{
    public static GraderDescriptor Descriptor { get; } = new("choice",
        "the letter the answer picks (\"B\", \"(B)\", \"B.\", \"Answer: B\", \"The answer is B\") equals the reference letter",
        _ => new ChoiceGrader());

    public bool NeedsReference => true;

    public Grade Grade(string answer, string? reference)
    {
        var expected = AnswerText.Required(reference, "choice");
        var want = expected.Trim().TrimEnd('.', ')').TrimStart('(').ToUpperInvariant();
        if (want.Length != 1 || want[0] is < 'A' or > 'Z') throw new ArgumentException($"the reference '{expected}' is not a letter", nameof(reference));
        if (AnswerText.PickedLetter(answer) is not { } got) return new Grade(false, 0, $"no choice letter in the answer (expected {want})");
        var ok = got == want[0];
        return new Grade(ok, ok ? 1 : 0, ok ? $"picked {got}" : $"expected {want}, picked {got}");
    }
}
