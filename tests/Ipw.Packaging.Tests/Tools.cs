using System.Diagnostics;
using Ipw.Cli.Tests;

namespace Ipw.Packaging.Tests;

/// <summary>Runs dotnet, bash or an installed ipw for the packaging tests, with ipw's model cache shared and no
/// plugin path inherited; <see cref="Isolated"/> gives installs their own NuGet cache, template store and home, so a
/// package of the same version installed earlier is never picked up.</summary>
internal sealed class Tools(TempDir work)
{
    /// <summary>Runs <paramref name="file"/>; fails the test on a non-zero exit; returns stdout then stderr.</summary>
    public string Run(string file, string workDir, params string[] args) => Run(file, workDir, isolated: false, args);

    /// <summary>Runs dotnet with the test's own NuGet cache, template store and home.</summary>
    public string Isolated(string workDir, params string[] args) => Run("dotnet", workDir, isolated: true, args);

    private string Run(string file, string workDir, bool isolated, string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (isolated)
        {
            psi.Environment["NUGET_PACKAGES"] = work.Combine("nuget-cache");
            psi.Environment["HOME"] = Directory.CreateDirectory(work.Combine("home")).FullName;
            psi.Environment["DOTNET_CLI_HOME"] = work.Combine("home");
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["IPW_CACHE_DIR"] = IpwProcess.CacheDir;
        psi.Environment.Remove("IPW_PLUGIN_PATH");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} timed out"); }
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result + stderr.Result;
    }

    /// <summary>Packs <paramref name="project"/> (already built) into <paramref name="feed"/> with <paramref name="version"/>.</summary>
    public void Pack(string project, string feed, string version) =>
        Run("dotnet", IpwProcess.RepoRoot, "pack", project, "-c", IpwProcess.Configuration, "--no-build", "-nologo", "-v", "quiet", "-o", feed,
            $"-p:PackageVersion={version}");

    /// <summary>A nuget.config in <paramref name="folder"/> whose only source is <paramref name="feed"/>.</summary>
    public static string FeedConfig(string folder, string feed)
    {
        var path = Path.Combine(folder, "nuget.config");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="feed" value="{feed}" /></packageSources></configuration>
            """);
        return path;
    }
}
