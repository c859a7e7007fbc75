using System.Runtime.ExceptionServices;
using Ipw.Core.Profiling;
using Ipw.Core.Session;
using Ipw.Tui;

namespace Ipw.Cli;

/// <summary><c>ipw profile --tui</c> and <c>ipw monitor</c>: the Terminal.Gui run monitor around the same pipeline.</summary>
internal static class TuiProfile
{
    /// <summary>Why the TUI cannot run here (output or input redirected, no usable TERM), or null when it can.</summary>
    public static string? NoTerminalReason()
    {
        if (Console.IsOutputRedirected) return "output is redirected";
        if (Console.IsInputRedirected) return "input is redirected";
        var term = Environment.GetEnvironmentVariable("TERM");
        if (!OperatingSystem.IsWindows() && (string.IsNullOrEmpty(term) || term == "dumb")) return $"TERM is {(string.IsNullOrEmpty(term) ? "not set" : "'dumb'")}";
        return null;
    }

    /// <summary>Runs the profile under the monitor; returns its outcome and whether the user stopped it there.
    /// An exception from the run (a bad option, an unreachable server) is rethrown once the screen is restored.</summary>
    public static (SessionOutcome Outcome, bool StoppedByUser) Run(
        Func<IProfileObserver, CancellationToken, CancellationToken, SendGate, Task<SessionOutcome>> run, CancellationTokenSource abort)
    {
        var model = new MonitorModel();
        SessionOutcome? result = null;
        using var session = new LiveProfileSession(model, async (o, s, a, gate) =>
        {
            // A Ctrl-C that reaches the process (a signal, not the TUI's key) still cancels the run.
            using var link = CancellationTokenSource.CreateLinkedTokenSource(a, abort.Token);
            result = await run(o, s, link.Token, gate).ConfigureAwait(false);
            return result.Run;
        });
        MonitorApp.Run(model, session, "ipw profile");
        if (!session.Run.IsCompleted)
        {
            // The monitor closed with the run still going (the terminal went away): stop it gracefully and keep it.
            session.Stop();
            Console.Error.WriteLine("ipw: the monitor closed; stopping after the queries in flight");
        }
        try
        {
            session.Run.GetAwaiter().GetResult();
            return (result!, session.StoppedByUser);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerException!).Throw();
            throw;
        }
    }
}
