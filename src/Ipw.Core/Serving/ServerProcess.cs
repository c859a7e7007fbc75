using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ipw.Core.Serving;

/// <summary>
/// An inference server that ipw started (<c>ipw profile --launch</c>, <c>ipw serve start</c>): one command run by
/// <c>/bin/sh -c "exec COMMAND"</c>, so the shell's quoting and variables work and the process ipw holds is the server
/// itself; its standard output and error go straight to a log file (the shell's redirection: ipw copies nothing, so the
/// server's output costs the measuring process no CPU). Started in a session of its own (<c>setsid</c>, where there is
/// one): Ctrl-C in the terminal reaches ipw, which ends the run and then stops the server, rather than both at once.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, string command, string log)
    {
        _process = process;
        Command = command;
        LogPath = log;
        Exited = process.WaitForExitAsync().ContinueWith(_ => process.ExitCode, TaskScheduler.Default);
    }

    public string Command { get; }
    public int Pid => _process.Id;
    /// <summary>Where the server's output goes (moved into the run folder by <c>--launch</c>: the open file follows).</summary>
    public string LogPath { get; private set; }
    /// <summary>Completes with the exit code when the server exits, whoever ended it.</summary>
    public Task<int> Exited { get; }
    public bool HasExited => Exited.IsCompleted;

    /// <summary>Starts <paramref name="command"/> with its output appended to <paramref name="log"/>.</summary>
    /// <param name="environment">Variables added to ipw's own environment for the server.</param>
    public static ServerProcess Start(string command, string log, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (string.IsNullOrWhiteSpace(command)) throw new UserError("the server command is empty");
        if (OperatingSystem.IsWindows()) throw new UserError("starting a server is supported on Linux and macOS (it runs the command with /bin/sh)");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(log))!);
        File.AppendAllText(log, "");
        var setsid = FindProgram("setsid");
        var start = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true, // closed at once below: the server reads no terminal
        };
        if (setsid is not null) start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        // The log's path travels in a variable, so no quoting of it can go wrong.
        start.ArgumentList.Add($"exec {command} >>\"$IPW_SERVER_LOG\" 2>&1");
        start.Environment["IPW_SERVER_LOG"] = Path.GetFullPath(log);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new UserError($"could not start the server: {command}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UserError($"could not start the server ({e.Message}): {command}");
        }
        process.StandardInput.Close();
        return new ServerProcess(process, command, Path.GetFullPath(log));
    }

    /// <summary>The log has moved (into the run folder); the server keeps writing to it through its open file.</summary>
    public void LogMovedTo(string path) => LogPath = path;

    /// <summary>Stops the server: SIGTERM, then SIGKILL after <paramref name="grace"/>; returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!HasExited) Signal(Pid, Sigterm);
        if (await Task.WhenAny(Exited, Task.Delay(grace)).ConfigureAwait(false) != Exited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // exited meanwhile
            }
        }
        return await Exited.ConfigureAwait(false);
    }

    /// <summary>The last lines the server wrote, for an error message.</summary>
    public string Tail(int lines = 3) => LogTail(LogPath, lines);

    /// <summary>The last non-empty lines of a log, joined with " | " (empty when there is none).</summary>
    public static string LogTail(string path, int lines)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var size = stream.Length;
            stream.Seek(Math.Max(0, size - 8192), SeekOrigin.Begin);
            var text = new StreamReader(stream).ReadToEnd();
            return string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Stops a process ipw started earlier (<c>ipw serve stop</c>) as <see cref="StopAsync"/> stops its own:
    /// SIGTERM, then SIGKILL once <paramref name="grace"/> has passed.</summary>
    public static async Task StopAsync(int pid, TimeSpan grace)
    {
        Signal(pid, Sigterm);
        var deadline = Stopwatch.GetTimestamp() + (long)(grace.TotalSeconds * Stopwatch.Frequency);
        while (IsAlive(pid) && Stopwatch.GetTimestamp() < deadline) await Task.Delay(50).ConfigureAwait(false);
        if (IsAlive(pid)) ForceKill(pid);
    }

    /// <summary>Whether a process with this id is alive (signal 0).</summary>
    public static bool IsAlive(int pid) => !OperatingSystem.IsWindows() && Signal(pid, 0) == 0;

    /// <summary>SIGKILL, for a server that did not end on SIGTERM.</summary>
    public static void ForceKill(int pid) => Signal(pid, Sigkill);

    private const int Sigterm = 15, Sigkill = 9;

    private static int Signal(int pid, int signal) => OperatingSystem.IsWindows() ? -1 : Kill(pid, signal);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>A program as a shell finds it: a path as given, else the first file of that name on PATH; null when none.</summary>
    public static string? FindProgram(string name) =>
        name.Contains('/') ? (File.Exists(name) ? name : null)
        : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    public void Dispose() => _process.Dispose();
}
