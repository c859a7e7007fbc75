using System.CommandLine;
using Ipw.Abstractions;
using Ipw.Cli;
using Ipw.Core;

CommandRuntime.Apply(args);

var root = new RootCommand("ipw — Intelligence Per Watt: what a model on a given machine really costs (latency, tokens, energy, power, memory)");
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(ProfileCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(EnergyCommand.Create());
root.Subcommands.Add(ScoreCommand.Create());
root.Subcommands.Add(RepairCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(PlotCommand.Create());
root.Subcommands.Add(PlotCommand.CreateReport());
root.Subcommands.Add(MonitorCommand.Create());
root.Subcommands.Add(ScriptCommands.Run());
root.Subcommands.Add(ScriptCommands.Repl());
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(CompletionCommand.Create());
root.Subcommands.Add(GroupedHelp.MarkdownCommand(root));

var noColor = new Option<bool>("--no-color") { Description = "no colours in the output (also when NO_COLOR is set); colours and the progress bar appear only on a terminal", Recursive = true };
root.Options.Add(noColor);
GroupedHelp.Install(root);
try
{
    args = ConfigFile.Expand(root, args);
}
catch (UserError e)
{
    Console.Error.WriteLine($"ipw: error: {e.Message}");
    return 2;
}
var parse = root.Parse(args);
// A directive ([suggest:N] from the shell completion scripts) takes the tokens after it as its input.
var directive = args.Length > 0 && args[0].StartsWith('[') && args[0].EndsWith(']');
if (!directive && ParseErrors.Describe(parse, root) is { } problem)
{
    // One line naming the problem, exit code 2: no usage dump for a typo.
    Console.Error.WriteLine($"ipw: error: {problem}");
    return 2;
}

if (parse.GetValue(noColor)) Environment.SetEnvironmentVariable("NO_COLOR", "1"); // read by the console libraries when they start

try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
}
catch (Exception e) when (e is UserError or PluginConfigurationException)
{
    Console.Error.WriteLine($"ipw: error: {e.Message}");
    return 2;
}
catch (StorageError e)
{
    // Not the user's mistake (exit 1), but no stack trace either: the message says what and where.
    Console.Error.WriteLine($"ipw: error: {e.Message}");
    return 1;
}
catch (Exception e)
{
    Console.Error.WriteLine($"ipw: internal error: {e.GetType().Name}: {e.Message}");
    if (Environment.GetEnvironmentVariable("IPW_DEBUG") == "1") Console.Error.WriteLine(e);
    else Console.Error.WriteLine("ipw: (set IPW_DEBUG=1 for the stack trace)");
    return 1;
}
