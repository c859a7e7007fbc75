using System.Diagnostics;
using System.Runtime.InteropServices;

using Ipw.Cli.Tests;

namespace Ipw.Packaging.Tests;

/// <summary>ipw as people install it: the .NET tool package that <c>dotnet pack</c> makes, installed into a tool path
/// and a local tool manifest from a feed holding only that package; and the self-contained single-file ipw of
/// scripts/publish.sh. Each is run as a new user would, with no repository around it.</summary>
public sealed class PackagingTests : IDisposable
{
    private readonly TempDir _work = new();

    /// <summary>Runs a tool with its own home; installs (<paramref name="isolated"/>) with NuGet's caches in the test's
    /// folder, so a package of the same version installed earlier is never picked up. Fails the test on a non-zero exit.</summary>
    private string Run(string file, string workDir, params string[] args) => Run(file, workDir, isolated: false, args);

    private string Install(string workDir, params string[] args) => Run("dotnet", workDir, isolated: true, args);

    private string Run(string file, string workDir, bool isolated, string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (isolated)
        {
            psi.Environment["NUGET_PACKAGES"] = _work.Combine("nuget-cache");
            psi.Environment["HOME"] = Directory.CreateDirectory(_work.Combine("home")).FullName;
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["IPW_CACHE_DIR"] = IpwProcess.CacheDir;
        psi.Environment.Remove("IPW_PLUGIN_PATH");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} timed out"); }
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result + stderr.Result;
    }

    /// <summary>What a freshly installed ipw must do: say its version and commit, list its built-in plugins with none
    /// failing, and profile the built-in model.</summary>
    private void Works(string ipw, string[]? prefix = null)
    {
        var workDir = Directory.CreateDirectory(_work.Combine("use-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        string Ipw(params string[] args) => prefix is null ? Run(ipw, workDir, args) : Run(ipw, workDir, [.. prefix, .. args]);
        Assert.Matches(@"^0\.1\.0\+[0-9a-f]{40}\s*$", Ipw("--version"));
        var list = Ipw("list", "all");
        Assert.DoesNotContain("was not loaded", list);
        Assert.Matches(@"llamasharp .*\n\s+from Ipw\.Plugins\.LlamaSharp; available", list);
        Assert.Contains("from Ipw.Plugins.Http; available", list);
        var run = Ipw("profile", "-n", "2", "--max-tokens", "4", "--threads", "1", "--baseline", "0", "-o", "runs");
        Assert.Contains("completed: 2 queries (0 errors)", run);
        Assert.Single(Directory.GetDirectories(Path.Combine(workDir, "runs")));
    }

    [Fact]
    public void The_tool_package_installs_into_a_tool_path_and_a_local_manifest_and_runs_without_the_repository()
    {
        var feed = _work.Combine("feed");
        var version = "0.1.0-test." + Guid.NewGuid().ToString("N")[..8];
        Run("dotnet", IpwProcess.RepoRoot, "pack", "src/Ipw.Cli", "-c", IpwProcess.Configuration, "--no-build", "-nologo", "-v", "quiet",
            "-o", feed, $"-p:PackageVersion={version}");
        var package = Path.Combine(feed, $"ipw.{version}.nupkg");
        Assert.True(File.Exists(package), $"no {package}");
        File.WriteAllText(_work.Combine("nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="test" value="{feed}" /></packageSources></configuration>
            """);

        Install(_work.Path, "tool", "install", "ipw", "--tool-path", _work.Combine("tools"), "--configfile", _work.Combine("nuget.config"), "--version", version);
        Works(_work.Combine("tools", OperatingSystem.IsWindows() ? "ipw.exe" : "ipw"));

        var project = Directory.CreateDirectory(_work.Combine("project")).FullName;
        Install(project, "new", "tool-manifest");
        Install(project, "tool", "install", "ipw", "--configfile", _work.Combine("nuget.config"), "--version", version);
        Assert.Matches(@"^0\.1\.0\+[0-9a-f]{40}\s*$", Install(project, "tool", "run", "ipw", "--", "--version"));
    }

    [SkippableFact]
    public void Publish_makes_a_self_contained_single_file_ipw_that_runs_with_its_plugins()
    {
        Skip.IfNot(RuntimeInformation.RuntimeIdentifier == "linux-x64", "scripts/publish.sh is tested on linux-x64");
        var made = Run("bash", IpwProcess.RepoRoot, "scripts/publish.sh", "linux-x64").Trim().Split('\n')[^1];
        var ipw = Path.Combine(IpwProcess.RepoRoot, made);
        Assert.True(File.Exists(ipw), $"publish.sh said {made}");
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(ipw)!, "ipw.dll"))); // one file, not a folder of assemblies
        Works(ipw);
    }

    public void Dispose() => _work.Dispose();
}
