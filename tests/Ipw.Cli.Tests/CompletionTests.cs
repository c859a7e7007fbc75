using System.Diagnostics;

namespace Ipw.Cli.Tests;

/// <summary><c>ipw completion SHELL</c>: each script sourced in its real shell, asked to complete as the shell would,
/// with the real ipw on the PATH answering through the [suggest] directive.</summary>
public sealed class CompletionTests : IDisposable
{
    private readonly TempDir _work = new();

    private string Shell(string shell, string script)
    {
        var psi = new ProcessStartInfo(shell) { WorkingDirectory = _work.Path, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.Environment["PATH"] = IpwProcess.BinaryDir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["IPW_CACHE_DIR"] = IpwProcess.CacheDir;
        psi.Environment["HOME"] = _work.Path;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), $"{shell} did not finish");
        Assert.True(p.ExitCode == 0, $"{shell}: {stderr.Result}");
        return stdout.Result;
    }

    private static bool Has(string shell) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, shell)));

    [Fact]
    public void Bash_completes_commands_options_and_plugin_names()
    {
        string Complete(string line, string words, int cword) => Shell("bash", $$"""
            source <(ipw completion bash)
            COMP_LINE="{{line}}"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=({{words}}); COMP_CWORD={{cword}}
            _ipw_complete; printf '%s\n' "${COMPREPLY[@]}"
            """);
        Assert.Equal("profile\n", Complete("ipw prof", "ipw prof", 1));
        Assert.Equal("--max-queries\n", Complete("ipw profile --max-q", "ipw profile --max-q", 2));
        Assert.Equal(["llamacpp", "llamasharp"], Complete("ipw profile --client ll", "ipw profile --client ll", 3).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableFact]
    public void Zsh_completes_through_its_function()
    {
        Skip.IfNot(Has("zsh"), "zsh is not installed (.ci/run installs it)");
        // compadd is zsh's builtin for offering candidates: printed here instead, as the function calls it.
        var offered = Shell("zsh", """
            compdef() { :; }
            source <(ipw completion zsh)
            compadd() { shift; print -l -- "$@"; }
            BUFFER="ipw profile --max-q"; CURSOR=${#BUFFER}; _ipw
            """);
        Assert.Equal("--max-queries\n", offered);
    }

    [SkippableFact]
    public void Fish_completes_through_complete_C()
    {
        Skip.IfNot(Has("fish"), "fish is not installed (.ci/run installs it)");
        var offered = Shell("fish", """
            ipw completion fish | source
            complete -C "ipw profile --max-q"
            complete -C "ipw list an"
            """);
        Assert.Equal(["--max-queries", "analyses"], offered.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]));
    }

    [Fact]
    public void Every_shell_has_a_script_and_an_unknown_one_is_refused()
    {
        foreach (var shell in new[] { "bash", "zsh", "fish", "powershell" })
        {
            var r = IpwProcess.Run(_work.Path, ["completion", shell]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("[suggest:", r.Stdout);
        }
        var bad = IpwProcess.Run(_work.Path, ["completion", "tcsh"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("tcsh", bad.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
