using Ipw.Abstractions;

namespace IpwPlugin1;

/// <summary>Right when the answer contains the reference, ignoring case: replace with your grading. Dataset items name
/// a grader in their grader field; ipw score RUN --grader NAME applies one to every row with a reference.</summary>
internal sealed class ContainsGrader : IGrader
{
    public bool NeedsReference => true;

    public Grade Grade(string answer, string? reference)
    {
        if (reference is null) return new Grade(false, 0, "no reference to compare with");
        var right = answer.Contains(reference.Trim(), StringComparison.OrdinalIgnoreCase);
        return new Grade(right, right ? 1 : 0, right ? "the answer contains the reference" : "the reference is not in the answer");
    }
}
