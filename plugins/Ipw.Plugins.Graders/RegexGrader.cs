using System.Text.RegularExpressions;
using Ipw.Abstractions;

namespace Ipw.Plugins.Graders;

/// <summary><c>regex:PATTERN</c>: the answer matches PATTERN (case-insensitive, at most one second per answer); the
/// reference is not used.</summary>
internal sealed class RegexGrader : IGrader
{
    public static GraderDescriptor Descriptor { get; } = new("regex",
        "regex:PATTERN: the answer matches PATTERN (case-insensitive); needs no reference",
        Create);

    private readonly Regex _regex;

    private RegexGrader(Regex regex) => _regex = regex;

    /// <summary>The pattern, as the item gave it.</summary>
    public string Pattern => _regex.ToString();

    public bool NeedsReference => false;

    private static RegexGrader Create(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern)) throw new PluginConfigurationException("grader 'regex' needs a pattern: regex:PATTERN");
        try
        {
            return new RegexGrader(new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
        }
        catch (ArgumentException e)
        {
            throw new PluginConfigurationException($"grader 'regex:{pattern}': {e.Message}");
        }
    }

    public Grade Grade(string answer, string? reference)
    {
        var ok = _regex.IsMatch(answer);
        return new Grade(ok, ok ? 1 : 0, ok ? $"matches /{Pattern}/" : $"does not match /{Pattern}/");
    }
}
