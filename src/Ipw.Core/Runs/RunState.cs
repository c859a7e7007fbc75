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
            return !process.HasExited && !Zombie(runner.Pid);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Whether the process has ended and waits only to be reaped (Linux: state Z or X in /proc/PID/stat), as a
    /// process killed a moment ago whose parent has not collected it yet.</summary>
    private static bool Zombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var end = stat.LastIndexOf(')');
            return end > 0 && end + 2 < stat.Length && stat[end + 2] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
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
        throw new UserError($"'{folder}': run was interrupted (summary.json still says running); `ipw repair {folder}` rebuilds its summary from its records, `ipw profile --resume {folder}` finishes it");
    }
}
