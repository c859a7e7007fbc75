using System.CommandLine;
using Ipw.Core;
using Ipw.Scripting;

namespace Ipw.Cli;

/// <summary><c>ipw run FILE.csx [-- args]</c> and <c>ipw repl</c>: C# over the same pipeline, through the script API.</summary>
internal static class ScriptCommands
{
    public static Command Run()
    {
        var file = new Argument<string>("script") { Description = "a .csx script" };
        var args = new Argument<string[]>("args") { Description = "the script's arguments, after --", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("run", "Run a C# benchmark script (.csx) against the script API; its exit code is the script's") { file, args };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var stop = new CancellationTokenSource();
            using var abort = new CancellationTokenSource();
            using var interrupts = Interrupts.Install(stop, abort, "stopping the script's run after the queries in flight (Ctrl-C again to cancel them)");
            var globals = new ScriptGlobals(parse.GetValue(args) ?? [], () => PluginLoading.Load(), Console.Out, stop.Token, abort.Token);
            var code = await ScriptRunner.RunFileAsync(parse.GetValue(file)!, globals, Console.Error, cancellationToken);
            return interrupts.Terminated ? Interrupts.TerminatedExitCode : code;
        });
        return command;
    }

    public static Command Repl()
    {
        var history = new Option<string?>("--history") { Description = "history file (default ~/.local/share/ipw/repl_history)" };
        var command = new Command("repl", "Interactive C# with the script API: profile, analyze, plot and query runs line by line") { history };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var globals = new ScriptGlobals([], () => PluginLoading.Load(), Console.Out);
            var interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected;
            var repl = new Ipw.Scripting.Repl(globals, Console.In, Console.Out, Console.Error, parse.GetValue(history) ?? Ipw.Scripting.Repl.DefaultHistoryFile(), interactive);
            return await repl.RunAsync(cancellationToken);
        });
        return command;
    }
}
