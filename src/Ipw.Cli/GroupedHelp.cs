using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Text;

namespace Ipw.Cli;

/// <summary>
/// <c>--help</c> for a command with many options, its options under headings (workload, load, telemetry, ...) rather
/// than one flat list. Commands without groups keep System.CommandLine's own help, whose builder is not public in 2.0,
/// so the grouped layout is written here; <see cref="Rows"/> is also what the options tables in docs/ are made from.
/// </summary>
internal static class GroupedHelp
{
    private const int Width = 100;
    private static readonly Dictionary<Command, IReadOnlyList<(string Title, string[] Names)>> Groups = [];
    private static RootCommand? _root;

    /// <summary>Declares a command's groups, by option name; options in none of them are listed last, as "Other".</summary>
    public static void Group(Command command, params (string Title, string[] Names)[] groups) => Groups[command] = groups;

    /// <summary>Makes the root's help option print grouped help for commands that have groups.</summary>
    public static void Install(RootCommand root)
    {
        _root = root;
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new Action((HelpAction)help.Action!);
    }

    /// <summary>The command's options under their headings: (heading, [(usage, description)]).</summary>
    public static IReadOnlyList<(string Title, IReadOnlyList<(string Usage, string Description)> Options)> Rows(Command command)
    {
        var options = command.Options.Where(o => !o.Hidden).ToList();
        var byName = options.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var sections = new List<(string, IReadOnlyList<(string, string)>)>();
        var arguments = command.Arguments.Where(a => !a.Hidden).Select(a => ($"<{a.Name}>", a.Description ?? "")).ToList();
        if (arguments.Count > 0) sections.Add(("Arguments", arguments));
        var placed = new HashSet<Option>();
        foreach (var (title, names) in Groups.GetValueOrDefault(command) ?? [])
        {
            var rows = new List<(string, string)>();
            foreach (var name in names)
            {
                if (!byName.TryGetValue(name, out var option)) throw new InvalidOperationException($"help group '{title}' names no option {name}");
                placed.Add(option);
                rows.Add(Row(option));
            }
            sections.Add((title, rows));
        }
        // The help option and --no-color are the root's (recursive), not the command's own.
        var global = (_root?.Options.Where(o => o.Recursive && !o.Hidden && o is not HelpOption) ?? []).Select(Row);
        var rest = options.Where(o => !placed.Contains(o)).Select(Row).Concat(global).Append(("-?, -h, --help", "Show help and usage information")).ToList();
        sections.Add((Groups.ContainsKey(command) ? "Other" : "Options", rest));
        return sections;
    }

    private static (string Usage, string Description) Row(Option option)
    {
        var names = option.Aliases.Where(a => a.Length == 2).Order(StringComparer.Ordinal).Append(option.Name);
        var usage = string.Join(", ", names);
        if (option.ValueType != typeof(bool))
            usage += $" <{option.HelpName ?? (option.Name.Count(c => c == '-') > 3 ? "value" : option.Name.TrimStart('-'))}>";
        else if (option.HasDefaultValue && option.GetDefaultValue() is true)
            usage += " <true|false>";
        var description = option.Description ?? "";
        if (option.HasDefaultValue && option.ValueType != typeof(bool) && option.GetDefaultValue() is { } d && d is not Array)
            description += $" [default: {Convert.ToString(d, CultureInfo.InvariantCulture)}]";
        return (usage, description);
    }

    /// <summary>The command's options as a markdown table per heading (docs/commands.md holds them between markers,
    /// and a test keeps them equal to this).</summary>
    public static string Markdown(Command command)
    {
        var sb = new StringBuilder();
        foreach (var (title, rows) in Rows(command))
        {
            sb.Append("**").Append(title).Append(title == "Arguments" ? "**\n\n| argument | what it is |\n|---|---|\n" : "**\n\n| option | what it does |\n|---|---|\n");
            foreach (var (usage, description) in rows)
                sb.Append("| `").Append(usage).Append("` | ").Append(description.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
            sb.Append('\n');
        }
        return sb.ToString().TrimEnd() + "\n";
    }

    /// <summary><c>ipw help-markdown COMMAND [SUBCOMMAND]</c> (hidden): <see cref="Markdown"/> for docs/commands.md;
    /// <c>--list</c>: every command that has an action, one a line.</summary>
    public static Command MarkdownCommand(RootCommand root)
    {
        var path = new Argument<string[]>("command") { Arity = ArgumentArity.ZeroOrMore };
        var list = new Option<bool>("--list");
        var command = new Command("help-markdown", "the options of a command as markdown tables, for docs/") { path, list };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            if (parse.GetValue(list))
            {
                foreach (var name in Commands(root, "")) Console.WriteLine(name);
                return 0;
            }
            Command target = root;
            foreach (var name in parse.GetValue(path) ?? [])
                target = target.Subcommands.FirstOrDefault(c => c.Name == name) ?? throw new Core.UserError($"no command '{name}'");
            if (target == root) throw new Core.UserError("name a command, e.g. ipw help-markdown profile");
            Console.Write(Markdown(target));
            return 0;
        });
        return command;
    }

    private static IEnumerable<string> Commands(Command parent, string prefix)
    {
        foreach (var c in parent.Subcommands.Where(c => !c.Hidden))
        {
            var name = prefix + c.Name;
            if (c.Action is not null) yield return name;
            foreach (var sub in Commands(c, name + " ")) yield return sub;
        }
    }

    private static string Write(Command command)
    {
        var sb = new StringBuilder();
        sb.Append("Description:\n  ").Append(command.Description).Append("\n\nUsage:\n  ipw ").Append(command.Name).Append(" [options]\n");
        var sections = Rows(command);
        var first = Math.Min(36, sections.SelectMany(s => s.Options).Max(r => r.Usage.Length) + 4);
        foreach (var (title, rows) in sections)
        {
            sb.Append('\n').Append(title).Append(":\n");
            foreach (var (usage, description) in rows)
            {
                var lines = Wrap(description, Width - first);
                var head = "  " + usage;
                if (head.Length + 2 > first)
                {
                    sb.Append(head).Append('\n');
                    head = "";
                }
                foreach (var line in lines)
                {
                    sb.Append(head.PadRight(first)).Append(line).Append('\n');
                    head = "";
                }
            }
        }
        return sb.ToString();
    }

    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        return lines;
    }

    private sealed class Action(HelpAction standard) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var command = parseResult.CommandResult.Command;
            if (!Groups.ContainsKey(command)) return standard.Invoke(parseResult);
            Console.Out.Write(Write(command));
            return 0;
        }
    }
}
