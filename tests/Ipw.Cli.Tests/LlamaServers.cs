using System.Diagnostics;
using Ipw.Plugins.LlamaSharp;

namespace Ipw.Cli.Tests;

/// <summary>
/// Real llama.cpp servers (Debian's llama-server, build b11669 when this was written) started through
/// scripts/servers/llamacpp.sh for the live suite, each serving ipw's own ipw-tiny GGUF, and stopped at the end.
/// Where the chroot cannot be made (no root, no Debian mirror; the script exits 3) or the test script found so
/// (<c>IPW_LIVE_LLAMACPP_SKIP</c>), <see cref="Unavailable"/> says why and each live test is reported skipped.
/// </summary>
public sealed class LlamaServers : IDisposable
{
    private readonly List<string> _started = [];
    private readonly string _model;

    public static string Script => Path.Combine(IpwProcess.RepoRoot, "scripts", "servers", "llamacpp.sh");

    /// <summary>Why no server can be had here; null when they can.</summary>
    public string? Unavailable { get; }

    /// <summary>What <c>llama-server --version</c> says, for the messages.</summary>
    public string Version { get; } = "";

    public LlamaServers()
    {
        _model = TinyModel.EnsureWritten(Path.Combine(IpwProcess.CacheDir, "models", $"{TinyModel.Name}-v{TinyModel.Version}.gguf"));
        if (Environment.GetEnvironmentVariable("IPW_LIVE_LLAMACPP_SKIP") is { Length: > 0 } why)
        {
            Unavailable = why;
            return;
        }
        var (code, stdout, stderr) = RunScript("provision");
        if (code == 3) Unavailable = stderr.Trim();
        else if (code != 0) throw new InvalidOperationException($"llamacpp.sh provision failed ({code}): {stderr}");
        else Version = RunScript("version").Stdout.Trim();
    }

    /// <summary>The base URL (no /v1) of the server named <paramref name="name"/>, started with <paramref name="args"/> on
    /// first use and kept for the tests after.</summary>
    public string Start(string name, params string[] args)
    {
        lock (_urls)
        {
            if (!_urls.TryGetValue(name, out var url)) _urls[name] = url = StartNew(name, args);
            return url;
        }
    }

    private readonly Dictionary<string, string> _urls = [];

    private string StartNew(string name, string[] args)
    {
        var unique = $"test-{Environment.ProcessId}-{name}";
        var (code, stdout, stderr) = RunScript(["start", "--name", unique, "--model", _model, "--", .. args]);
        if (code != 0) throw new InvalidOperationException($"llama-server {string.Join(' ', args)} did not start ({code}): {stderr}");
        _started.Add(unique);
        return stdout.Trim().Split('\n')[^1];
    }

    /// <summary>The GGUF the servers serve (ipw-tiny).</summary>
    public string Model => _model;

    /// <summary>Where the chroot is kept (the user's cache: made once, shared by every run of the suite).</summary>
    public static string ChrootCache => Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "ipw");

    private static (int Code, string Stdout, string Stderr) RunScript(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The chroot lives in the user's cache, made once and shared by every run of the suite (the tests' own
        // cache folder is a fresh one each run).
        psi.Environment["IPW_CACHE_DIR"] = ChrootCache;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"llamacpp.sh {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        foreach (var name in _started) RunScript("stop", "--name", name);
    }
}
