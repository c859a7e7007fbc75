using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Ipw.Cli.Tests;

/// <summary>Runs the real ipw binary built beside the tests, with an isolated home and cache.</summary>
public static class IpwProcess
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Configuration { get; } = typeof(IpwProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "IpwConfiguration").Value!;

    public static string BinaryDir => Path.Combine(RepoRoot, "artifacts", Configuration);
    public static string Binary => Path.Combine(BinaryDir, OperatingSystem.IsWindows() ? "ipw.exe" : "ipw");

    /// <summary>One model cache for the whole test run: the tiny model is written once.</summary>
    public static string CacheDir { get; } = Directory.CreateTempSubdirectory("ipw-test-cache-").FullName;

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>A loopback port free now (for a server a test starts).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Process Start(string workDir, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(Binary)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["IPW_CACHE_DIR"] = CacheDir;
        psi.Environment["HOME"] = Path.Combine(workDir, "home");
        psi.Environment.Remove("IPW_PLUGIN_PATH");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    public static Result Run(string workDir, IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutSeconds = 300)
    {
        using var p = Start(workDir, args, env);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"ipw {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a program other than ipw (node, dotnet) and returns its output; fails the test on a non-zero exit.</summary>
    public static string RunTool(string file, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"{file} timed out"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
        return stdout.Result;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ipw.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Ipw.sln not found above the test folder");
    }
}

/// <summary>A temporary working folder per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ipw-test-").FullName;
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
