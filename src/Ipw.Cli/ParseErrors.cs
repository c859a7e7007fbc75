using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Ipw.Cli;

/// <summary>
/// The one line a command line that cannot be parsed gets: the problem in the user's words (an option's value type as
/// "a whole number", not a CLR type name), and for a token nothing knows, the nearest command or option it may mean.
/// </summary>
internal static partial class ParseErrors
{
    /// <summary>The message for a parse with errors or with tokens nothing took (null: none). <c>--help</c> clears
    /// System.CommandLine's errors, so an unknown command with <c>--help</c> is caught here by its unmatched token.</summary>
    public static string? Describe(ParseResult parse, RootCommand root)
    {
        var command = parse.CommandResult.Command;
        var where = command == root ? "ipw" : $"ipw {string.Join(' ', Path(parse.CommandResult))}";
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            var isOption = token.StartsWith('-');
            var what = isOption ? "unknown option" : command.Subcommands.Count > 0 ? "unknown command" : "unexpected argument";
            var suggestion = Nearest(token, isOption ? command.Options.SelectMany(Names) : command.Subcommands.SelectMany(Names));
            return $"{what} '{token}'{(suggestion is null ? "" : $"; did you mean '{suggestion}'?")} (see '{where} --help')";
        }
        if (parse.Errors.Count == 0) return null;
        var message = string.Join(' ', parse.Errors[0].Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()));
        return $"{Plain(message)} (see '{where} --help')";
    }

    /// <summary>"Cannot parse argument 'abc' for option '--max-queries' as expected type 'System.Nullable`1[System.Int32]'."
    /// → "--max-queries: 'abc' is not a whole number".</summary>
    private static string Plain(string message)
    {
        var m = CannotParse().Match(message);
        if (!m.Success) return message;
        var type = m.Groups["type"].Value;
        var kind = type switch
        {
            _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
            _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) => "a number",
            _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
            _ => $"a valid {m.Groups["what"].Value} value",
        };
        return $"{m.Groups["name"].Value}: '{m.Groups["value"].Value}' is not {kind}";
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for (?<what>option|argument) '(?<name>[^']+)' as expected type '(?<type>[^']+)'")]
    private static partial Regex CannotParse();

    private static IEnumerable<string> Path(SymbolResult? result)
    {
        var names = new Stack<string>();
        for (var r = result; r is CommandResult c && c.Parent is not null; r = r.Parent) names.Push(c.Command.Name);
        return names;
    }

    private static IEnumerable<string> Names(Symbol symbol) => symbol switch
    {
        Option o when !o.Hidden => [o.Name, .. o.Aliases.Where(a => a.StartsWith("--", StringComparison.Ordinal))],
        Command c when !c.Hidden => [c.Name, .. c.Aliases],
        _ => [],
    };

    /// <summary>The name the token begins (a prefix typed short), else the candidate within a third of the token's length
    /// in edits (at least 2), nearest first. Hand-written: Levenshtein on a few dozen names needs no library.</summary>
    internal static string? Nearest(string token, IEnumerable<string> candidates)
    {
        // A name typed short ("prof", "--max-q") means the name it begins, before any name a few edits away.
        if (token.TrimStart('-').Length >= 3 && candidates.Where(c => c.StartsWith(token, StringComparison.Ordinal)).OrderBy(c => c.Length).FirstOrDefault() is { } begun)
            return begun;
        var best = (Name: (string?)null, Distance: int.MaxValue);
        foreach (var name in candidates.Distinct())
        {
            var d = Distance(token, name);
            if (d < best.Distance) best = (name, d);
        }
        var allowed = Math.Max(2, token.TrimStart('-').Length / 3);
        return best.Distance <= allowed ? best.Name : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
