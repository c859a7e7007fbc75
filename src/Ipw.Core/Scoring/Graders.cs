using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Ipw.Core.Records;

namespace Ipw.Core.Scoring;

/// <summary>A grade: whether the answer is right, a score in [0, 1], and why.</summary>
public sealed record Grade(bool Correct, double Score, string Explanation);

/// <summary>What a record's grading columns say: a grade, or null values with the reason it was not graded.</summary>
public sealed record Verdict(bool? Correct, double? Score, string Explanation);

/// <summary>
/// The offline graders. A grader is named by the dataset item as <c>name</c> or <c>name:argument</c>:
/// <list type="bullet">
/// <item><c>exact</c>: the answer equals the reference after normalising case, spacing, quotes and final punctuation
/// (the whole answer, or its last line, or what follows "Answer:").</item>
/// <item><c>numeric[:tolerance]</c>: the answer's final number equals the reference's within the tolerance
/// (absolute when given; otherwise relative 1e-6), with thousands separators, signs, decimals and fractions understood.</item>
/// <item><c>choice</c>: the letter the answer picks ("B", "(B)", "B.", "Answer: B", "The answer is B") equals the reference letter.</item>
/// <item><c>contains</c>: the answer contains the reference, case-insensitively.</item>
/// <item><c>regex:PATTERN</c>: the answer matches PATTERN (case-insensitive); the reference is not used.</item>
/// <item><c>judge</c>: an LLM judges the answer (<see cref="Judge"/>); it runs from <c>ipw score</c>, after the run.</item>
/// </list>
/// </summary>
public static partial class Graders
{
    public static IReadOnlyList<string> Names { get; } = ["exact", "numeric", "choice", "contains", "regex", "judge"];

    /// <summary>Whether <paramref name="grader"/> names a known grader (the argument is checked too).</summary>
    public static string? Problem(string grader)
    {
        var (name, argument) = Split(grader);
        if (!Names.Contains(name)) return $"unknown grader '{name}' (known: {string.Join(", ", Names)})";
        if (name == "numeric" && argument is not null && !(double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t >= 0))
            return $"grader 'numeric:{argument}': the tolerance must be a number of at least 0";
        if (name == "regex")
        {
            if (string.IsNullOrEmpty(argument)) return "grader 'regex' needs a pattern: regex:PATTERN";
            try { _ = new Regex(argument); }
            catch (ArgumentException e) { return $"grader 'regex:{argument}': {e.Message}"; }
        }
        return null;
    }

    /// <summary>Grades <paramref name="answer"/> against <paramref name="reference"/> with the named grader.</summary>
    /// <exception cref="ArgumentException">An unknown grader or a bad argument (see <see cref="Problem"/>).</exception>
    public static Grade Apply(string grader, string answer, string? reference)
    {
        if (Problem(grader) is { } problem) throw new ArgumentException(problem, nameof(grader));
        var (name, argument) = Split(grader);
        if (name == "judge")
            throw new ArgumentException("the judge grades after the run: ipw score RUN --judge-client CLIENT --judge-model MODEL", nameof(grader));
        if (name != "regex" && reference is null) throw new ArgumentException($"grader '{name}' needs a reference answer", nameof(reference));
        return name switch
        {
            "exact" => Exact(answer, reference!),
            "numeric" => Numeric(answer, reference!, argument is null ? null : double.Parse(argument, CultureInfo.InvariantCulture)),
            "choice" => Choice(answer, reference!),
            "contains" => Contains(answer, reference!),
            _ => Matches(answer, argument!),
        };
    }

    /// <summary>Grades one answer. A failed query with a grader is wrong (it gave no answer); an item without one, or
    /// whose grader cannot run, is left ungraded with the reason. Used when a query completes and by <c>ipw score</c>.</summary>
    /// <param name="status">The query's status: "ok", or its error class.</param>
    public static Verdict Grade(string? grader, string? reference, string response, string status)
    {
        if (grader is null)
            return new Verdict(null, null, reference is null ? "not graded: open-ended (no reference)" : "not graded: the item names no grader");
        if (status != "ok") return new Verdict(false, 0, $"no answer: the query failed ({status})");
        try
        {
            var grade = Apply(grader, response, reference);
            return new Verdict(grade.Correct, grade.Score, $"{grader}: {grade.Explanation}");
        }
        catch (ArgumentException e)
        {
            return new Verdict(null, null, $"not graded: {e.Message}");
        }
    }

    private static (string Name, string? Argument) Split(string grader)
    {
        var colon = grader.IndexOf(':');
        return colon < 0 ? (grader.Trim().ToLowerInvariant(), null) : (grader[..colon].Trim().ToLowerInvariant(), grader[(colon + 1)..]);
    }

    private static Grade Exact(string answer, string reference)
    {
        var want = Normalize(reference);
        foreach (var candidate in Candidates(answer))
        {
            if (Normalize(candidate) == want) return new Grade(true, 1, $"matches '{reference}'");
        }
        return new Grade(false, 0, $"expected '{reference}', got '{Shorten(answer)}'");
    }

    private static Grade Numeric(string answer, string reference, double? tolerance)
    {
        if (LastNumber(reference) is not { } want) throw new ArgumentException($"the reference '{reference}' is not a number", nameof(reference));
        var candidate = Candidates(answer).Select(LastNumber).FirstOrDefault(n => n is not null);
        if (candidate is not { } got) return new Grade(false, 0, $"no number in the answer (expected {Format(want)})");
        var ok = tolerance is { } t ? Math.Abs(got - want) <= t : Math.Abs(got - want) <= 1e-6 * Math.Max(1, Math.Abs(want));
        return new Grade(ok, ok ? 1 : 0, ok ? $"{Format(got)} equals {Format(want)}" : $"expected {Format(want)}, got {Format(got)}");
    }

    private static Grade Choice(string answer, string reference)
    {
        var want = reference.Trim().TrimEnd('.', ')').TrimStart('(').ToUpperInvariant();
        if (want.Length != 1 || want[0] is < 'A' or > 'Z') throw new ArgumentException($"the reference '{reference}' is not a letter", nameof(reference));
        if (PickedLetter(answer) is not { } got) return new Grade(false, 0, $"no choice letter in the answer (expected {want})");
        var ok = got == want[0];
        return new Grade(ok, ok ? 1 : 0, ok ? $"picked {got}" : $"expected {want}, picked {got}");
    }

    private static Grade Contains(string answer, string reference)
    {
        var ok = Normalize(answer).Contains(Normalize(reference), StringComparison.Ordinal);
        return new Grade(ok, ok ? 1 : 0, ok ? $"contains '{reference}'" : $"does not contain '{reference}'");
    }

    private static Grade Matches(string answer, string pattern)
    {
        var ok = Regex.IsMatch(answer, pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return new Grade(ok, ok ? 1 : 0, ok ? $"matches /{pattern}/" : $"does not match /{pattern}/");
    }

    /// <summary>The parts of an answer that may hold the final answer: after "Answer:", the last non-empty line, the whole.</summary>
    private static IEnumerable<string> Candidates(string answer)
    {
        var marked = AnswerMarker().Matches(answer);
        if (marked.Count > 0) yield return marked[^1].Groups[1].Value;
        var lines = answer.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length > 0) yield return lines[^1];
        yield return answer;
    }

    /// <summary>Lower case, straight quotes, single spaces, no surrounding quotes, markup or final punctuation.</summary>
    internal static string Normalize(string text)
    {
        var s = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant()
            .Replace('\u2018', '\'').Replace('\u2019', '\'').Replace('\u201c', '"').Replace('\u201d', '"');
        s = Whitespace().Replace(s, " ").Trim();
        s = s.Trim('*', '_', '`', '"', '\'', ' ');
        s = s.TrimEnd('.', '!', '?', ';', ',', ':').Trim();
        return s;
    }

    /// <summary>The last number in the text: thousands separators, sign, decimals, simple fractions and percent signs.</summary>
    internal static double? LastNumber(string text)
    {
        var matches = NumberPattern().Matches(text);
        if (matches.Count == 0) return null;
        var m = matches[^1];
        var raw = m.Groups["num"].Value.Replace(",", "", StringComparison.Ordinal);
        if (m.Groups["den"].Success)
        {
            var num = double.Parse(raw, CultureInfo.InvariantCulture);
            var den = double.Parse(m.Groups["den"].Value, CultureInfo.InvariantCulture);
            return den == 0 ? null : num / den;
        }
        return double.Parse(raw, CultureInfo.InvariantCulture);
    }

    /// <summary>The letter an answer picks: "Answer: B", "The answer is (B)", a leading "B." / "B)" / "(B)", or a lone letter.</summary>
    internal static char? PickedLetter(string answer)
    {
        var text = answer.Trim();
        var m = StatedChoice().Matches(text);
        if (m.Count > 0) return char.ToUpperInvariant(m[^1].Groups[1].Value[0]);
        m = LeadingChoice().Matches(text);
        if (m.Count > 0) return char.ToUpperInvariant(m[0].Groups[1].Value[0]);
        var lone = LoneLetter().Matches(text);
        return lone.Count == 1 ? char.ToUpperInvariant(lone[0].Groups[1].Value[0]) : null;
    }

    private static string Format(double v) => v.ToString("G10", CultureInfo.InvariantCulture);

    private static string Shorten(string s) => s.Length <= 80 ? s.Trim() : s[..77].Trim() + "...";

    [GeneratedRegex(@"(?:final answer|answer)\s*(?:is)?\s*[:=]?\s*(.+)", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerMarker();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<![\w.])(?<num>[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?|[-+]?\.\d+)(?:\s*/\s*(?<den>\d+(?:\.\d+)?))?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"(?:answer|option|choice)\s*(?:is|:)?\s*:?\s*\(?([A-Za-z])\)?(?![A-Za-z])", RegexOptions.IgnoreCase)]
    private static partial Regex StatedChoice();

    [GeneratedRegex(@"^\(?([A-Da-d])\)?(?:[.):]|\s|$)")]
    private static partial Regex LeadingChoice();

    [GeneratedRegex(@"(?<![A-Za-z])([A-D])(?![A-Za-z])")]
    private static partial Regex LoneLetter();
}
