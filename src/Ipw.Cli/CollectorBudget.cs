using System.Collections;
using System.Runtime.InteropServices;

namespace Ipw.Cli;

/// <summary>
/// <c>ipw profile</c> runs with a gen-0 allocation budget of 64 MiB instead of the runtime's default (a few MiB, from
/// the CPU's cache size). Every gen-0 collection pauses the threads that stamp chunks as they arrive, and at the
/// default budget a streaming run collects every few hundred queries: against llama-server, TTFT excess measured on
/// the wire at concurrency 1 went from p99 1.6–2.7 ms to 0.2–0.9 ms (bench wire-ttft). The budget is read once, when
/// the runtime starts, and only from the environment (<c>DOTNET_GCgen0size</c>; runtimeconfig.json has no such
/// setting), so the process starts itself again with it (execve: the same process id, standard streams and signals),
/// about 70 ms. A budget the user set, any value, is kept; <c>DOTNET_GCgen0size=0</c> asks for the runtime's default.
/// </summary>
internal static class CollectorBudget
{
    private const string Variable = "DOTNET_GCgen0size";
    private const string Budget = "4000000"; // hexadecimal, as the runtime reads it: 64 MiB

    /// <summary>Starts the process again with the budget when <paramref name="args"/> is a profile and none is set; returns
    /// only when it did not (another command, a budget already set, a platform without execve, or execve failed).</summary>
    public static void Apply(string[] args)
    {
        if (args.Length == 0 || args[0] != "profile" || !(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        var set = Environment.GetEnvironmentVariables().Keys.Cast<string>();
        if (set.Any(k => k.Equals(Variable, StringComparison.OrdinalIgnoreCase) || k.Equals("COMPlus_GCgen0size", StringComparison.OrdinalIgnoreCase))) return;
        if (Environment.ProcessPath is not { } path) return;
        // Run as an apphost (ipw) or through the muxer (dotnet ipw.dll): the muxer needs the assembly again.
        string?[] argv = Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? [path, Environment.GetCommandLineArgs()[0], .. args, null]
            : [path, .. args, null];
        string?[] envp = [.. Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}"), $"{Variable}={Budget}", null];
        _ = Execve(path, argv, envp); // returns only on failure: the run goes on with the default budget
    }

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve(string path, string?[] argv, string?[] envp);
}
