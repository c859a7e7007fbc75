using System.Collections;
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Ipw.Abstractions;
using Ipw.Core;
using Tomlyn;
using Tomlyn.Model;

namespace Ipw.Cli;

/// <summary>
/// <c>--config FILE.toml</c> and <c>--print-config</c>: a command's options in a TOML file whose keys are the long
/// option names (<c>max-queries = 10</c>, <c>concurrency = [1, 2, 4]</c>, a table for key=value options:
/// <c>[client-param]</c>). The file's options go through the same parser as the command line's, so a file has no
/// schema of its own to drift; options on the command line override the file's (a key=value option adds to and
/// overrides its table). The effective options, written back as TOML, reproduce the run (<c>config.toml</c> in its folder).
/// </summary>
internal static partial class ConfigFile
{
    private const string SecretNote = "secret, not written";

    public static Option<string?> Option() => new("--config")
    {
        Description = "read options from a TOML file whose keys are the long option names (max-queries = 10, [client-param] temperature = \"0\"); options on the command line override it",
        HelpName = "file.toml",
    };

    public static Option<bool> PrintOption() => new("--print-config") { Description = "print the effective options as TOML (a file for --config) and exit without running" };

    /// <summary>The command line with the config file's options put in just after the command's name (so a repeatable
    /// option's own values come after the file's and win), leaving out options the command line gives.</summary>
    /// <exception cref="UserError">The file cannot be read or parsed, or names an option the command does not have.</exception>
    public static string[] Expand(RootCommand root, string[] args)
    {
        // Most command lines name no config file: they are parsed once, as before (ipw list's start-up time).
        if (!args.Any(a => a.StartsWith("--config", StringComparison.Ordinal))) return args;
        var first = root.Parse(args);
        var command = first.CommandResult.Command;
        var config = command.Options.FirstOrDefault(o => o.Name == "--config");
        if (config is null || first.GetResult(config) is not { Implicit: false } given || given.Tokens.Count != 1) return args;
        var path = given.Tokens[0].Value;
        var given_ = command.Options.Where(o => first.GetResult(o) is { Implicit: false }).ToHashSet();
        var tokens = Tokens(path, command, o => given_.Contains(o) && !Repeatable(o));
        var at = Array.IndexOf(args, command.Name);
        return at < 0 ? args : [.. args[..(at + 1)], .. tokens, .. args[(at + 1)..]];
    }

    private static List<string> Tokens(string path, Command command, Func<Option, bool> skip)
    {
        TomlTable table;
        try
        {
            table = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path)) ?? new TomlTable();
        }
        catch (TomlException e)
        {
            throw new UserError($"{path}:{e.Line}:{e.Column}: not valid TOML: {Position().Replace(FirstLine(e.Message), "")}");
        }
        catch (FileNotFoundException)
        {
            throw new UserError($"--config {path}: no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"--config {path}: {e.Message}");
        }
        var tokens = new List<string>();
        foreach (var (key, value) in table)
        {
            var option = command.Options.FirstOrDefault(o => (o.Name == "--" + key || o.Aliases.Contains("--" + key)) && !o.Hidden
                && o.Name is not ("--config" or "--print-config"));
            if (option is null)
            {
                var near = ParseErrors.Nearest("--" + key, command.Options.Where(o => !o.Hidden).Select(o => o.Name));
                throw new UserError($"{path}: unknown option '{key}'{(near is null ? "" : $"; did you mean '{near.TrimStart('-')}'?")}");
            }
            if (skip(option)) continue;
            foreach (var text in Values(path, key, option, value))
            {
                tokens.Add(option.Name);
                tokens.Add(text);
            }
        }
        return tokens;
    }

    private static IEnumerable<string> Values(string path, string key, Option option, object value) => value switch
    {
        TomlTable pairs when Repeatable(option) => pairs.Select(p => $"{p.Key}={Scalar(path, $"{key}.{p.Key}", p.Value)}"),
        TomlArray items when Repeatable(option) => items.Select(i => Scalar(path, key, i!)),
        TomlArray items => [string.Join(',', items.Select(i => Scalar(path, key, i!)))],
        _ => [Scalar(path, key, value)],
    };

    private static string Scalar(string path, string key, object value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long or double or int => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        _ => throw new UserError($"{path}: '{key}' must be a string, number, boolean or list of them, got {value.GetType().Name}"),
    };

    private static bool Repeatable(Option option) => option.ValueType.IsArray;

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>Tomlyn's "(1,15) : error : " before its message: the position is already in ours.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^\(\d+,\d+\)\s*:\s*error\s*:\s*")]
    private static partial System.Text.RegularExpressions.Regex Position();

    /// <summary>The command's effective options as TOML: every option with a value (given or default), in the help's
    /// groups, secrets left out and named in a comment.</summary>
    public static string Write(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var table = new TomlTable();
        var secrets = new List<string>();
        foreach (var option in command.Options)
        {
            if (option is HelpOption || option.Hidden || option.Name is "--config" or "--print-config" or "--resume" or "--tui" or "--json") continue;
            var value = parse.GetResult(option) is { } result ? result.GetValueOrDefault<object?>() : option.HasDefaultValue ? option.GetDefaultValue() : null;
            if (value is null) continue;
            var key = option.Name.TrimStart('-');
            if (value is string[] pairs && pairs.All(p => p.Contains('=', StringComparison.Ordinal)) && pairs.Length > 0)
            {
                var sub = new TomlTable();
                foreach (var pair in pairs)
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    var name = pair[..eq].Trim();
                    if (Core.Summary.RunConfig.IsSecret(name)) secrets.Add($"{key}.{name}");
                    else sub[name] = pair[(eq + 1)..].Trim();
                }
                if (sub.Count > 0) table[key] = sub;
                continue;
            }
            if (value is Array { Length: 0 }) continue;
            table[key] = value switch
            {
                string s when key.EndsWith("url", StringComparison.Ordinal) => UrlText.WithoutUserInfo(s),
                string s when key == "launch" => Core.Serving.LaunchedServer.Redacted(s),
                int i => (long)i,
                IEnumerable e and not string => ToArray(e),
                _ => value,
            };
        }
        var header = $"# ipw {command.Name} options (ipw {Core.Profiling.Profiler.IpwVersion}); run them with: ipw {command.Name} --config FILE\n";
        foreach (var s in secrets) header += $"# {s}: {SecretNote}; give it on the command line or through the environment\n";
        return header + TomlSerializer.Serialize(table);
    }

    private static TomlArray ToArray(IEnumerable items)
    {
        var array = new TomlArray();
        foreach (var item in items) array.Add(item);
        return array;
    }
}
