using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ipw.Plugins.Graders;

/// <summary>The text helpers the graders share: where an answer's final answer may be, normalising, numbers and letters.</summary>
internal static partial class AnswerText
{
    /// <summary>The reference, or an <see cref="ArgumentException"/> saying the grader needs one.</summary>
    public static string Required(string? reference, string grader) =>
        reference ?? throw new ArgumentException($"grader '{grader}' needs a reference answer", nameof(reference));

    /// <summary>The parts of an answer that may hold the final answer: after "Answer:", the last non-empty line, the whole.</summary>
    public static IEnumerable<string> Candidates(string answer)
    {
        var marked = AnswerMarker().Matches(answer);
        if (marked.Count > 0) yield return marked[^1].Groups[1].Value;
        var lines = answer.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length > 0) yield return lines[^1];
        yield return answer;
    }

    /// <summary>Lower case, straight quotes, single spaces, no surrounding quotes, markup or final punctuation.</summary>
    public static string Normalize(string text)
    {
        var s = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant()
            .Replace('\u2018', '\'').Replace('\u2019', '\'').Replace('\u201c', '"').Replace('\u201d', '"');
        s = Whitespace().Replace(s, " ").Trim();
        s = s.Trim('*', '_', '`', '"', '\'', ' ');
        s = s.TrimEnd('.', '!', '?', ';', ',', ':').Trim();
        return s;
    }

    /// <summary>The last number in the text: thousands separators, sign, decimals, simple fractions and percent signs.</summary>
    public static double? LastNumber(string text)
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
    public static char? PickedLetter(string answer)
    {
        var text = answer.Trim();
        var m = StatedChoice().Matches(text);
        if (m.Count > 0) return char.ToUpperInvariant(m[^1].Groups[1].Value[0]);
        m = LeadingChoice().Matches(text);
        if (m.Count > 0) return char.ToUpperInvariant(m[0].Groups[1].Value[0]);
        var lone = LoneLetter().Matches(text);
        return lone.Count == 1 ? char.ToUpperInvariant(lone[0].Groups[1].Value[0]) : null;
    }

    /// <summary>A number as explanations show it (up to ten significant digits, invariant culture).</summary>
    public static string Format(double v) => v.ToString("G10", CultureInfo.InvariantCulture);

    /// <summary>The text trimmed, cut to 80 characters with "..." when longer.</summary>
    public static string Shorten(string s) => s.Length <= 80 ? s.Trim() : s[..77].Trim() + "...";

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
