using System.CommandLine;
using Ipw.Core;
using Ipw.Tui;

namespace Ipw.Cli;

/// <summary><c>ipw monitor RUN</c>: a finished run in the run monitor's views, browsed or replayed.</summary>
internal static class MonitorCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "a run folder (runs/profile_...)" };
        var replay = new Option<bool>("--replay") { Description = "replay the run in time instead of showing it whole" };
        var speed = new Option<double>("--speed") { Description = "with --replay: this many times faster than it happened", DefaultValueFactory = _ => 10 };
        var command = new Command("monitor", "Browse a finished run in the run monitor (or replay it with --replay)") { run, replay, speed };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(run)!;
            var s = parse.GetValue(speed);
            if (!(s > 0) || double.IsInfinity(s)) throw new UserError($"--speed must be a positive number, got {s}");
            var model = new MonitorModel();
            if (TuiProfile.NoTerminalReason() is { } why)
            {
                // No screen to draw on: the same views' text, once, for the whole run.
                using (RunReplaySession.Open(directory, model, speed: null)) { }
                Console.Error.WriteLine($"ipw: the monitor needs a terminal ({why}); printing the run's overview instead");
                Console.Write(model.ToText(rows: 20));
                return 0;
            }
            using var session = RunReplaySession.Open(directory, model, parse.GetValue(replay) ? s : null);
            MonitorApp.Run(model, session, $"ipw monitor · {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)))}");
            return 0;
        });
        return command;
    }
}
