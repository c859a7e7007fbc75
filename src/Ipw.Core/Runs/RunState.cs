using System.Diagnostics;
using Ipw.Core.Summary;

namespace Ipw.Core.Runs;

/// <summary>Whether a run folder's summary says the run ended, is still going, or was cut short (the process killed, the
/// machine stopped, the disk full) and left at "running": the one judgement score, analyze and plot act on.</summary>
public static class RunState
{
    /// <summary>Whether the process that writes the run is alive: the summary names its process and machine.</summary>
    public static bool IsLive(RunSummary summary)
    {
        if (summary.Status != "running" || summary.Runner is not { } runner) return false;
        if (!string.Equals(runner.Host, Environment.MachineName, StringComparison.Ordinal))
            return true; // another machine's run: it cannot be checked from here, so take the summary's word
        try
        {
            using var process = Process.GetProcessById(runner.Pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Throws a user error unless the run has ended: a live run is left to finish, one cut short is named as such
    /// with what mends it.</summary>
    public static void RequireEnded(string folder, RunSummary summary)
    {
        if (summary.Status != "running") return;
        if (IsLive(summary))
            throw new UserError($"'{folder}' is still running (process {summary.Runner!.Pid}); use it when it ends");
        throw new UserError($"'{folder}': run was interrupted (summary.json still says running); `ipw repair {folder}` rebuilds its summary from its records");
    }
}
