using System.Runtime.InteropServices;

using Ipw.Cli.Tests;

namespace Ipw.Packaging.Tests;

/// <summary>ipw as people install it: the .NET tool package that <c>dotnet pack</c> makes, installed into a tool path
/// and a local tool manifest from a feed holding only that package; and the self-contained single-file ipw of
/// scripts/publish.sh. Each is run as a new user would, with no repository around it.</summary>
public sealed class PackagingTests : IDisposable
{
    private readonly TempDir _work = new();
    private readonly Tools _tools;

    public PackagingTests() => _tools = new Tools(_work);

    private string Run(string file, string workDir, params string[] args) => _tools.Run(file, workDir, args);

    private string Install(string workDir, params string[] args) => _tools.Isolated(workDir, args);

    /// <summary>What a freshly installed ipw must do: say its version and commit, list its built-in plugins with none
    /// failing, and profile the built-in model.</summary>
    private void Works(string ipw)
    {
        var workDir = Directory.CreateDirectory(_work.Combine("use-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        string Ipw(params string[] args) => Run(ipw, workDir, args);
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
        _tools.Pack("src/Ipw.Cli", feed, version);
        var package = Path.Combine(feed, $"ipw.{version}.nupkg");
        Assert.True(File.Exists(package), $"no {package}");
        var config = Tools.FeedConfig(_work.Path, feed);

        Install(_work.Path, "tool", "install", "ipw", "--tool-path", _work.Combine("tools"), "--configfile", config, "--version", version);
        Works(_work.Combine("tools", OperatingSystem.IsWindows() ? "ipw.exe" : "ipw"));

        var project = Directory.CreateDirectory(_work.Combine("project")).FullName;
        Install(project, "new", "tool-manifest");
        Install(project, "tool", "install", "ipw", "--configfile", config, "--version", version);
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
