using System.Globalization;
using Ipw.Abstractions;

namespace Ipw.Plugins.Graders;

/// <summary><c>numeric[:tolerance]</c>: the answer's final number equals the reference's within the tolerance (absolute
/// when given; otherwise relative 1e-6), with thousands separators, signs, decimals and fractions understood.</summary>
internal sealed class NumericGrader(double? tolerance) : IGrader
{
    public static GraderDescriptor Descriptor { get; } = new("numeric",
        "numeric[:TOLERANCE]: the answer's final number equals the reference's, within the tolerance (absolute when given, else relative 1e-6); thousands separators, signs, decimals and fractions understood",
        Create);

    /// <summary>The absolute tolerance, or null for a relative 1e-6.</summary>
    public double? Tolerance { get; } = tolerance;

    public bool NeedsReference => true;

    private static NumericGrader Create(string? argument)
    {
        if (argument is null) return new NumericGrader(null);
        if (!(double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t >= 0))
            throw new PluginConfigurationException($"grader 'numeric:{argument}': the tolerance must be a number of at least 0");
        return new NumericGrader(t);
    }

    public Grade Grade(string answer, string? reference)
    {
        var expected = AnswerText.Required(reference, "numeric");
        if (AnswerText.LastNumber(expected) is not { } want) throw new ArgumentException($"the reference '{expected}' is not a number", nameof(reference));
        var candidate = AnswerText.Candidates(answer).Select(AnswerText.LastNumber).FirstOrDefault(n => n is not null);
        if (candidate is not { } got) return new Grade(false, 0, $"no number in the answer (expected {AnswerText.Format(want)})");
        var ok = Tolerance is { } tol ? Math.Abs(got - want) <= tol : Math.Abs(got - want) <= 1e-6 * Math.Max(1, Math.Abs(want));
        return new Grade(ok, ok ? 1 : 0, ok
            ? $"{AnswerText.Format(got)} equals {AnswerText.Format(want)}"
            : $"expected {AnswerText.Format(want)}, got {AnswerText.Format(got)}");
    }
}
