using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ipw.TestServer;

/// <summary>
/// Does watching a run in the TUI slow the measurement? The same open-loop run of the real binary against the test
/// server (its own process), once with plain progress into a pipe and once with <c>--tui</c> in a tmux terminal,
/// alternating, compared on what the run itself records: send lag, TTFT, and the ipw process's CPU.
/// </summary>
internal static class TuiBench
{
    public static void Run(string ipw, string serverDll, double rate, int seconds, int rounds)
    {
        using var server = new LoadBench.Server(serverDll, core: 1);
        server.Behave(new Behaviour { CannedTokens = 20, FirstTokenDelay = TimeSpan.FromMilliseconds(20), InterChunkDelay = TimeSpan.FromMilliseconds(5), ExactTiming = false, KeepLog = false });
        var work = Directory.CreateTempSubdirectory("ipw-bench-tui-").FullName;
        try
        {
            Console.WriteLine($"tui: open loop {rate}/s for {seconds} s, 20 tokens per answer, test server on its own process; {rounds} rounds each, alternating");
            var results = new Dictionary<string, List<JsonElement>> { ["plain"] = [], ["tui"] = [] };
            for (var round = 0; round < rounds; round++)
            {
                foreach (var mode in new[] { "plain", "tui" })
                {
                    var output = Path.Combine(work, $"{mode}-{round}");
                    string[] args = ["profile", "--client", "openai", "--model", InferenceServer.ModelName, "--client-base-url", server.Url.ToString(),
                        "--rate", rate.ToString(CultureInfo.InvariantCulture), "--duration", $"{seconds}s", "--arrival", "constant", "--baseline", "0",
                        "--max-tokens", "20", "--energy", "system", "--output-dir", output];
                    if (mode == "plain") Plain(ipw, work, args);
                    else InTmux(ipw, work, [.. args, "--tui"]);
                    var run = Directory.GetDirectories(output).Single();
                    results[mode].Add(JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))).RootElement.Clone());
                }
            }
            foreach (var (mode, runs) in results)
            {
                string Median(Func<JsonElement, double> pick, double scale, string format) =>
                    runs.Select(pick).Order().ElementAt(runs.Count / 2) is var v ? (v * scale).ToString(format, CultureInfo.InvariantCulture) : "";
                Console.WriteLine($"  {mode,-5}: send lag p50 {Median(s => Get(s, "load", "send_lag_s", "p50"), 1e3, "0.000")} ms, "
                    + $"p99 {Median(s => Get(s, "load", "send_lag_s", "p99"), 1e3, "0.000")} ms, max {Median(s => Get(s, "load", "send_lag_s", "max"), 1e3, "0.0")} ms · "
                    + $"TTFT p50 {Median(s => Get(s, "totals", "ttft_s", "p50"), 1e3, "0.00")} ms · "
                    + $"achieved {Median(s => Get(s, "load", "achieved_rate_per_s"), 1, "0.00")}/s · "
                    + $"ipw CPU {Median(s => Get(s, "load", "harness", "process_cpu_cores"), 100, "0.0")} % of a core (median of {runs.Count})");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static double Get(JsonElement e, params string[] path) => IpwRuns.Get(e, path);

    private static void Plain(string ipw, string work, string[] args) => IpwRuns.Run(ipw, work, args);

    /// <summary>The same command with --tui in a 120×40 tmux terminal; q once the run has completed.</summary>
    private static void InTmux(string ipw, string work, string[] args)
    {
        var socket = Path.Combine(work, $"tmux-{Guid.NewGuid():N}.sock");
        var exit = Path.Combine(work, "tui.exit");
        File.Delete(exit);
        var command = $"TERM=xterm-256color '{ipw}' {string.Join(' ', args.Select(a => $"'{a}'"))}; echo $? > '{exit}'";
        Tmux(socket, "new-session", "-d", "-s", "bench", "-x", "120", "-y", "40", "-c", work, "sh", "-c", command);
        var clock = Stopwatch.StartNew();
        while (!Tmux(socket, "capture-pane", "-p", "-t", "bench").Contains("completed:", StringComparison.Ordinal))
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("the TUI run did not complete");
            Thread.Sleep(250);
        }
        Tmux(socket, "send-keys", "-t", "bench", "q");
        while (!File.Exists(exit)) Thread.Sleep(100);
        try { Tmux(socket, "kill-server"); } catch (InvalidOperationException) { }
    }

    private static string Tmux(string socket, params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-S");
        psi.ArgumentList.Add(socket);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"tmux {args[0]}: {p.StandardError.ReadToEnd()}");
        return output;
    }
}
