using Ipw.Abstractions;

namespace Ipw.Plugins.Graders;

/// <summary><c>contains</c>: the answer contains the reference, case-insensitively (both normalised as by
/// <see cref="AnswerText.Normalize"/>). An argument is ignored.</summary>
internal sealed class ContainsGrader : IGrader
{
    public static GraderDescriptor Descriptor { get; } = new("contains",
        "the answer contains the reference, case-insensitively (spacing and quotes normalised)",
        _ => new ContainsGrader());

    public bool NeedsReference => true;

    public Grade Grade(string answer, string? reference)
    {
        var expected = AnswerText.Required(reference, "contains");
        var ok = AnswerText.Normalize(answer).Contains(AnswerText.Normalize(expected), StringComparison.Ordinal);
        return new Grade(ok, ok ? 1 : 0, ok ? $"contains '{expected}'" : $"does not contain '{expected}'");
    }
}
