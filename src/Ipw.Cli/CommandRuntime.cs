using System.Collections;
using System.Runtime.InteropServices;

namespace Ipw.Cli;

/// <summary>
/// Runtime settings that suit one command and would cost the others, which the runtime reads only from the
/// environment when it starts: the process starts itself again with them (execve: the same process id, standard
/// streams and signals; about 30 ms), once, and only when the user has set none of them.
/// <list type="bullet">
/// <item><c>ipw profile</c>: a gen-0 allocation budget of 64 MiB instead of a few MiB (<c>DOTNET_GCgen0size</c>; no
/// runtimeconfig.json setting exists). Each gen-0 collection pauses the threads that stamp chunks as they arrive:
/// against llama-server, TTFT excess on the wire at concurrency 1 went from p99 1.6–2.7 ms to 0.2–0.9 ms (bench
/// wire-ttft). <c>DOTNET_GCgen0size=0</c> asks for the runtime's default.</item>
/// <item><c>ipw analyze</c>, <c>plot</c>, <c>report</c>: methods with loops compiled optimised at once
/// (<c>DOTNET_TC_QuickJitForLoops=0</c>) instead of starting at tier 0: they spend their time in a few loops over
/// a million rows, many of them in Apache.Arrow, which no attribute here can mark. <c>ipw analyze</c> on 1,000,000
/// queries: 1.5 s instead of 1.9–2.1. Every command would pay it at start (ipw list all: 186 ms instead of 148).</item>
/// </list>
/// </summary>
internal static class CommandRuntime
{
    private static (string Variable, string Value)? For(string command) => command switch
    {
        "profile" => ("DOTNET_GCgen0size", "4000000"), // hexadecimal, as the runtime reads it: 64 MiB
        "analyze" or "plot" or "report" => ("DOTNET_TC_QuickJitForLoops", "0"),
        _ => null,
    };

    /// <summary>Starts the process again with <paramref name="args"/>' command's settings; returns only when it did not
    /// (no such settings, the user set the variable, a platform without execve, or execve failed).</summary>
    public static void Apply(string[] args)
    {
        if (args.Length == 0 || For(args[0]) is not var (variable, value) || !(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        var legacy = "COMPlus_" + variable["DOTNET_".Length..];
        if (Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(k => k.Equals(variable, StringComparison.OrdinalIgnoreCase) || k.Equals(legacy, StringComparison.OrdinalIgnoreCase)))
            return;
        if (Environment.ProcessPath is not { } path) return;
        // Run as an apphost (ipw) or through the muxer (dotnet ipw.dll): the muxer needs the assembly again.
        string?[] argv = Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? [path, Environment.GetCommandLineArgs()[0], .. args, null]
            : [path, .. args, null];
        string?[] envp = [.. Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}"), $"{variable}={value}", null];
        _ = Execve(path, argv, envp); // returns only on failure: the command runs with the runtime's defaults
    }

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve(string path, string?[] argv, string?[] envp);
}
