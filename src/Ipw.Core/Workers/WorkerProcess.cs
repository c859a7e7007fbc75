using System.Diagnostics;

namespace Ipw.Core.Workers;

/// <summary>An <c>ipw worker</c> process this machine started for the coordinator: the same ipw, told where to
/// connect. Its standard error is kept (the last lines) to say why it went away.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_tail)
            {
                _tail.Enqueue(e.Data);
                if (_tail.Count > 5) _tail.Dequeue();
            }
        };
        _process.BeginErrorReadLine();
    }

    public static WorkerProcess Start(int port, int id)
    {
        var (file, prefix) = Command();
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in prefix) psi.ArgumentList.Add(a);
        ServerCollector(psi.Environment);
        foreach (var a in new[] { "worker", "--connect", $"127.0.0.1:{port}", "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--connect-timeout", "0s" })
            psi.ArgumentList.Add(a);
        return new WorkerProcess(Process.Start(psi) ?? throw new UserError($"--workers: could not start '{file}'"));
    }

    /// <summary>A worker only sends and reads streams, with every stream's state alive: under the workstation collector each
    /// collection promotes megabytes and pauses for tens of milliseconds, and they come every second at a few hundred
    /// requests a second. Server GC with one fixed heap collects rarely (docs/benchmarks.md, the performance table), at the cost of
    /// memory a worker can spend. A collector the user chose in the environment is kept.</summary>
    internal static void ServerCollector(IDictionary<string, string?> environment)
    {
        if (environment.Keys.Any(k => k.Equals("DOTNET_gcServer", StringComparison.OrdinalIgnoreCase) || k.Equals("COMPlus_gcServer", StringComparison.OrdinalIgnoreCase)))
            return;
        environment["DOTNET_gcServer"] = "1";
        environment["DOTNET_GCDynamicAdaptationMode"] = "0";
        environment["DOTNET_GCHeapCount"] = "1";
        environment["DOTNET_GCNoAffinitize"] = "1";
    }

    /// <summary>How to start ipw again: this executable when it is ipw, else the ipw beside this program.</summary>
    private static (string File, string[] Prefix) Command()
    {
        var here = Environment.ProcessPath;
        if (here is not null && Path.GetFileNameWithoutExtension(here) == "ipw") return (here, []);
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "ipw.exe" : "ipw");
        if (File.Exists(apphost)) return (apphost, []);
        var dll = Path.Combine(AppContext.BaseDirectory, "ipw.dll");
        if (File.Exists(dll) && here is not null) return (here, [dll]);
        throw new UserError($"--workers starts more ipw processes, but there is no ipw beside this program ({AppContext.BaseDirectory}): run it through the ipw command");
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Why it went away, with its exit code and last words when it has exited.</summary>
    public string Describe(string why)
    {
        if (!_process.WaitForExit(2000)) return why;
        string[] tail;
        lock (_tail) tail = [.. _tail];
        var said = tail.LastOrDefault(l => l.Length > 0);
        return $"exit code {_process.ExitCode}" + (said is null ? "" : $": {said}");
    }

    public void WaitOrKill(TimeSpan wait)
    {
        try
        {
            if (!_process.WaitForExit(wait)) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
    }

    public void Dispose()
    {
        WaitOrKill(TimeSpan.Zero);
        _process.Dispose();
    }
}
