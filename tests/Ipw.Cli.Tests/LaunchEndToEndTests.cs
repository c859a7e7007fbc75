using System.Text.Json;
using Ipw.Core.Serving;

namespace Ipw.Cli.Tests;

/// <summary>Servers that ipw starts and stops: <c>ipw profile --launch</c> and <c>ipw serve</c>, through the real binary,
/// with the project's test server (real inference on the built-in model) as the launched program.</summary>
public sealed class LaunchEndToEndTests : IDisposable
{
    private readonly TempDir _work = new();
    private readonly List<int> _pids = [];

    internal static string TestServerDll =>
        Path.Combine(IpwProcess.RepoRoot, "tests", "Ipw.TestServer", "bin", IpwProcess.Configuration, "net10.0", "Ipw.TestServer.dll");

    internal static string ServerCommand(int port, string extra = "") => $"dotnet {TestServerDll} --port {port} {extra}".TrimEnd();

    internal static bool Listening(int port) => ServerReadiness.InUse("127.0.0.1", port);

    private IpwProcess.Result Profile(int port, string launch, string[] extra, IDictionary<string, string>? env = null) =>
        IpwProcess.Run(_work.Path, ["profile", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", $"http://127.0.0.1:{port}/v1",
            "--launch", launch, "--max-tokens", "8", "--baseline", "0", "--progress", "plain", "--output-dir", "runs", .. extra], env);

    private string OnlyRun() => Directory.GetDirectories(_work.Combine("runs")).Single();

    private static JsonElement Summary(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement;

    [Fact]
    public void Launch_starts_the_server_measures_its_start_apart_and_stops_it()
    {
        var port = IpwProcess.FreePort();
        IpwProcess.Result r;
        // A package energy counter rising at a steady 50 W (these machines have no RAPL), so the start-up's energy is known.
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap"), watts: 50))
            r = Profile(port, ServerCommand(port, "--startup-delay-ms 400"), ["--max-queries", "3", "--warmup", "1"],
                new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = rapl.Root });
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = OnlyRun();
        var log = File.ReadAllText(Path.Combine(run, "server.log"));
        Assert.Contains($"listening http://127.0.0.1:{port}/", log);
        Assert.Contains("test server: stopping", log); // SIGTERM, handled: a graceful stop
        Assert.Empty(Directory.GetFiles(_work.Combine("runs"), "*.log")); // the log moved into the run folder

        var summary = Summary(run);
        var launch = summary.GetProperty("launch");
        Assert.Equal(ServerCommand(port, "--startup-delay-ms 400"), launch.GetProperty("command").GetString());
        Assert.Equal("server.log", launch.GetProperty("log").GetString());
        Assert.Equal("stopped by ipw", launch.GetProperty("ended").GetString());
        Assert.Equal(0, launch.GetProperty("exit_code").GetInt32());
        // The start-up (the model load and the injected 400 ms) is its own window, before the run's clock starts.
        var ready = launch.GetProperty("ready_s").GetDouble();
        Assert.InRange(ready, 0.4, 120);
        // 50 W over the start-up window: the counter's energy between the launch and ready, none of it in a query.
        Assert.InRange(launch.GetProperty("start_energy_j").GetDouble(), 50 * ready * 0.95 - 0.25, 50 * ready * 1.05 + 0.25);
        Assert.StartsWith("rapl", launch.GetProperty("energy_source").GetString());
        Assert.Equal(JsonValueKind.Null, launch.GetProperty("energy_missing").ValueKind);
        Assert.Equal(3, summary.GetProperty("counts").GetProperty("ok").GetInt32());
        Assert.Equal(ServerCommand(port, "--startup-delay-ms 400"), summary.GetProperty("config").GetProperty("launch").GetString());
        Assert.Contains("launch = ", File.ReadAllText(Path.Combine(run, "config.toml")));

        var pid = launch.GetProperty("pid").GetInt32();
        Assert.False(ServerProcess.IsAlive(pid), $"the server (pid {pid}) is still running");
        Assert.False(Listening(port));
    }

    [Fact]
    public void A_server_that_exits_mid_run_ends_the_run_with_a_clear_error_and_keeps_the_completed_queries()
    {
        var port = IpwProcess.FreePort();
        // The warm-up and two measured queries, then the server dies (within 50 ms).
        var r = Profile(port, ServerCommand(port, "--exit-after-requests 3"), ["--max-queries", "20", "--warmup", "1"]);
        Assert.Equal(1, r.ExitCode);
        Assert.True(r.Stderr.Contains("ipw: error: the launched server exited with code 3 during the run", StringComparison.Ordinal), r.Stderr);
        Assert.Contains("completed queries are saved in", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        var run = OnlyRun();
        var summary = Summary(run);
        Assert.Equal("aborted", summary.GetProperty("status").GetString());
        Assert.Contains("exited with code 3", summary.GetProperty("failure").GetString());
        // The server exits 50 ms after its third answer: a query or two more may be answered in that time.
        var ok = summary.GetProperty("counts").GetProperty("ok").GetInt32();
        Assert.InRange(ok, 2, 6);
        // Queries sent while the server went down (its port closes a moment before its process ends) are recorded as
        // the errors they were.
        Assert.InRange(summary.GetProperty("counts").GetProperty("queries").GetInt32(), 2, 13);
        var launch = summary.GetProperty("launch");
        Assert.Equal("exited by itself", launch.GetProperty("ended").GetString());
        Assert.Equal(3, launch.GetProperty("exit_code").GetInt32());
        Assert.Contains("exiting after 3 requests", File.ReadAllText(Path.Combine(run, "server.log")));
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(ok, rows.Count(x => x.GetProperty("status").GetString() == "ok"));
        Assert.True(rows.Count < 20, "the run ended when the server did");
    }

    [Fact]
    public void A_server_that_fails_to_start_is_reported_in_one_line_with_its_last_words()
    {
        var port = IpwProcess.FreePort();
        var r = Profile(port, ServerCommand(port, "--no-such-flag"), ["--max-queries", "2"]);
        Assert.Equal(2, r.ExitCode);
        var line = r.Stderr.Trim();
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("ipw: error: the launched server exited with code 2 before it was ready: it said", line);
        Assert.Contains("unknown argument '--no-such-flag'", line);
        // No run folder: nothing was measured; the log stays beside the runs, named in the message.
        Assert.Empty(Directory.GetDirectories(_work.Combine("runs")));
        var log = Assert.Single(Directory.GetFiles(_work.Combine("runs"), "server-*.log"));
        Assert.Contains(Path.GetFileName(log), line);
    }

    [Fact]
    public void Launch_with_an_in_process_client_is_refused()
    {
        var r = IpwProcess.Run(_work.Path, ["profile", "--launch", "llama-server -m x.gguf", "--max-queries", "1"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("llamasharp runs in-process and needs no server: --launch starts one for an HTTP client", r.Stderr);
    }

    [Fact]
    public void Serve_starts_lists_and_stops_a_server_found_on_path()
    {
        if (OperatingSystem.IsWindows()) return; // servers are started through /bin/sh
        // llama-server, as far as ipw can tell: a program of that name on PATH that serves on the port it is given.
        var bin = Directory.CreateDirectory(_work.Combine("bin")).FullName;
        var argsFile = _work.Combine("args.txt");
        var shim = Path.Combine(bin, "llama-server");
        File.WriteAllText(shim, $"#!/bin/sh\nexec dotnet {TestServerDll} --args-file {argsFile} \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["IPW_STATE_DIR"] = _work.Combine("state"),
        };
        var port = IpwProcess.FreePort();
        var start = IpwProcess.Run(_work.Path, ["serve", "start", "llamacpp", "--model", "/models/tiny.gguf", "--port", port.ToString(), "--", "--startup-delay-ms", "200"], env);
        Assert.True(start.ExitCode == 0, start.Stderr + start.Stdout);
        Assert.Contains($"llamacpp: llamacpp ready at http://127.0.0.1:{port} in", start.Stdout);
        Assert.Contains($"ipw profile --client llamacpp --client-base-url http://127.0.0.1:{port}/v1", start.Stdout);
        Assert.Equal(["--args-file", argsFile, "-m", "/models/tiny.gguf", "--host", "127.0.0.1", "--port", port.ToString(), "--startup-delay-ms", "200"],
            File.ReadAllLines(argsFile));
        var state = JsonDocument.Parse(File.ReadAllText(_work.Combine("state", "llamacpp.json"))).RootElement;
        var pid = state.GetProperty("pid").GetInt32();
        _pids.Add(pid);
        Assert.True(ServerProcess.IsAlive(pid));

        var status = IpwProcess.Run(_work.Path, ["serve", "status"], env);
        Assert.Equal(0, status.ExitCode);
        Assert.Matches($@"llamacpp\s+llamacpp\s+{pid}\s+ready\s+", status.Stdout);

        var again = IpwProcess.Run(_work.Path, ["serve", "start", "llamacpp", "--model", "/models/tiny.gguf", "--port", IpwProcess.FreePort().ToString()], env);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("a server named 'llamacpp' is already running", again.Stderr);

        var profile = IpwProcess.Run(_work.Path, ["profile", "--client", "llamacpp", "--client-base-url", $"http://127.0.0.1:{port}/v1", "--max-queries", "2",
            "--max-tokens", "4", "--warmup", "0", "--baseline", "0", "--progress", "none", "--output-dir", "runs"], env);
        Assert.True(profile.ExitCode == 0, profile.Stderr);

        var stop = IpwProcess.Run(_work.Path, ["serve", "stop"], env);
        Assert.Equal(0, stop.ExitCode);
        Assert.Contains($"stopped llamacpp (pid {pid})", stop.Stdout);
        Assert.False(ServerProcess.IsAlive(pid));
        Assert.False(Listening(port));
        Assert.Contains("no servers started", IpwProcess.Run(_work.Path, ["serve", "status"], env).Stdout);
        Assert.Contains("test server: stopping", File.ReadAllText(_work.Combine("state", "llamacpp.log")));
    }

    [Fact]
    public void Serve_says_what_is_missing()
    {
        var env = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["IPW_STATE_DIR"] = _work.Combine("state") };
        var r = IpwProcess.Run(_work.Path, ["serve", "start", "vllm", "--model", "org/model", "--port", IpwProcess.FreePort().ToString()], env);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("ipw: error: vllm was not found on PATH: install it, or give its path with --exe", r.Stderr.Trim());
        var none = IpwProcess.Run(_work.Path, ["serve", "stop", "nothing"], env);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("no server named 'nothing'", none.Stderr);
    }

    public void Dispose()
    {
        foreach (var pid in _pids.Where(ServerProcess.IsAlive)) ServerProcess.ForceKill(pid);
        _work.Dispose();
    }
}
