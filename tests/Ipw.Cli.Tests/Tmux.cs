using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Ipw.Cli.Tests;

/// <summary>
/// The real ipw binary in a real terminal: a detached tmux session of a fixed size, driven with send-keys and read
/// with capture-pane, as a user at a terminal would see it. The command's exit code is written to a file when it ends.
/// </summary>
public sealed class Tmux : IDisposable
{
    private readonly string _socket;
    private readonly string _exitFile;

    public string Session { get; } = "ipw" + Guid.NewGuid().ToString("N")[..8];

    public Tmux(string workDir, IEnumerable<string> ipwArgs, int width = 120, int height = 40, IDictionary<string, string>? env = null)
    {
        // A socket per session: a server still shutting down never answers the next one.
        _socket = Path.Combine(workDir, $"{Session}.sock");
        _exitFile = Path.Combine(workDir, $"{Session}.exit");
        var vars = new Dictionary<string, string>
        {
            ["IPW_CACHE_DIR"] = IpwProcess.CacheDir,
            ["HOME"] = Path.Combine(workDir, "home"),
            ["TERM"] = "xterm-256color",
        };
        if (env is not null) foreach (var (k, v) in env) vars[k] = v;
        var command = string.Join(' ', vars.Select(p => $"{p.Key}={Quote(p.Value)}"))
            + $" {Quote(IpwProcess.Binary)} {string.Join(' ', ipwArgs.Select(Quote))}; echo $? > {Quote(_exitFile)}; sleep 600";
        Run("new-session", "-d", "-s", Session, "-x", width.ToString(), "-y", height.ToString(), "-c", workDir, "sh", "-c", $"cd {Quote(workDir)} && env -u IPW_PLUGIN_PATH {command}");
    }

    /// <summary>The screen as text, one line per row.</summary>
    public string Capture() => Run("capture-pane", "-p", "-t", Session);

    /// <summary>The pane and its scrollback with colours and attributes as escape sequences.</summary>
    public string CaptureWithEscapes() => Run("capture-pane", "-e", "-p", "-S", "-", "-t", Session);

    /// <summary>Resizes the terminal, as a user dragging the window would.</summary>
    public void Resize(int width, int height) => Run("resize-window", "-t", Session, "-x", width.ToString(), "-y", height.ToString());

    public void Keys(params string[] keys) => Run(["send-keys", "-t", Session, .. keys]);

    /// <summary>Captures until <paramref name="condition"/> holds; fails with the last screen when it never does.</summary>
    public string WaitFor(Func<string, bool> condition, string what, int seconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        var screen = "";
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            screen = Capture();
            if (condition(screen)) return screen;
            Thread.Sleep(200);
        }
        throw new TimeoutException($"waited {seconds} s for {what}; the screen was:\n{screen}");
    }

    /// <summary>The command's exit code once it ended (fails after <paramref name="seconds"/>).</summary>
    public int WaitForExit(int seconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (File.Exists(_exitFile) && File.ReadAllText(_exitFile).Trim() is { Length: > 0 } code) return int.Parse(code);
            Thread.Sleep(200);
        }
        throw new TimeoutException($"ipw did not exit in {seconds} s; the screen was:\n{Capture()}");
    }

    /// <summary>"queries N/M" on the screen: N.</summary>
    public static int QueriesDone(string screen) =>
        Regex.Match(screen, @"queries (\d+)/") is { Success: true } m ? int.Parse(m.Groups[1].Value) : -1;

    public void Dispose()
    {
        try { Run("kill-server"); } catch (InvalidOperationException) { }
    }

    private string Run(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-S");
        psi.ArgumentList.Add(_socket);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', args)}: {stderr.Result}");
        return stdout.Result;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
