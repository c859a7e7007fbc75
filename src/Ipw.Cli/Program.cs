using System.CommandLine;
using Ipw.Abstractions;
using Ipw.Cli;
using Ipw.Core;

CommandRuntime.Apply(args);

var root = new RootCommand("ipw — Intelligence Per Watt: what a model on a given machine really costs (latency, tokens, energy, power, memory)");
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(ProfileCommand.Create());
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

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line naming the problem, exit code 2: no usage dump for a typo.
    // The most specific error first: the one naming a token the user typed.
    var error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal)))
        ?? parse.Errors[0];
    var message = string.Join(' ', error.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()));
    var command = parse.CommandResult.Command == root ? "ipw" : $"ipw {parse.CommandResult.Command.Name}";
    Console.Error.WriteLine($"ipw: error: {message} (see '{command} --help')");
    return 2;
}

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
