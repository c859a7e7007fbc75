using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Abstractions;

/// <summary>
/// <c>bench wire-ttft</c>: the harness's own overhead against a real server, measured by a clock that is not ipw's.
/// A llama.cpp server (scripts/servers/llamacpp.sh) serves ipw-tiny; tcpdump captures loopback while ipw profiles it;
/// per request, the TTFT on the wire (first byte of the first send to the last byte of the first token's event) and
/// the E2E (to the last byte of <c>[DONE]</c>) are set against ipw's record of the same request (matched by seed).
/// The Python aiohttp peer (bench/peers/aiohttp_stream.py, vLLM's benchmark style) runs the same prompts against
/// the same server under the same capture; it does not resend on a stale connection, so only its successes count.
/// </summary>
internal static class WireTtftBench
{
    /// <param name="reuse">ipw's <c>reuse_connections</c> settings to run, each in its own row: what a connection per query
    /// costs against resending the queries that met a closed one.</param>
    /// <param name="pin">Server on the last CPU, ipw and the peer on the others (taskset): what the tail is without
    /// the server's threads competing for the client's cores.</param>
    public static void Run(string ipw, string root, int[] concurrencies, int maxTokens, string[] reuse, bool pin)
    {
        var inv = CultureInfo.InvariantCulture;
        var script = Path.Combine(root, "scripts", "servers", "llamacpp.sh");
        var python = ChunkBench.FindPython();
        var work = Directory.CreateTempSubdirectory("ipw-bench-wire-").FullName;
        var parallel = 8;
        var last = Environment.ProcessorCount - 1;
        string[] serverCpus = pin ? ["--cpus", last.ToString(inv)] : [];
        var url = Shell("bash", [script, "start", "--name", "bench-wire", .. serverCpus, "--", "-t", "1", "--parallel", parallel.ToString(inv), "-c", "16384"]).Trim().Split('\n')[^1];
        // The clients run under taskset when pinned: "taskset -c 0-(n-2) ipw ...".
        string[] clientPin = pin ? ["-c", last == 1 ? "0" : $"0-{last - 1}"] : [];
        var port = new Uri(url).Port;
        Console.WriteLine($"wire truth against {Shell("bash", script, "version").Trim()} (-t 1 --parallel {parallel}{(pin ? $"; server pinned to CPU {last}, clients to the others" : "")}): ipw − wire per request, ms " +
                          $"(TTFT: first byte sent → last byte of the first token's event; E2E: → last byte of [DONE]), {maxTokens}-token answers" +
                          (python is null ? " (no Python with aiohttp: apt-get install python3-aiohttp for the peer)" : ""));
        try
        {
            foreach (var c in concurrencies)
            {
                var requests = Math.Max(100, c * 4);
                // The same prompts for ipw and the peer: "Count to SEED." for seeds 0..N-1 (ipw's seed is the query index).
                var prompts = Path.Combine(work, $"prompts-{c}.jsonl");
                File.WriteAllLines(prompts, Enumerable.Range(0, requests).Select(i => $$"""{"id": "{{i}}", "prompt": "Count to {{i}}."}"""));
                var line = $"  c={c,-3} ({requests} requests)";
                foreach (var mode in reuse)
                {
                    var output = Path.Combine(work, $"c{c}-{mode}");
                    var ipwWire = Captured(work, port, $"ipw-{c}-{mode}", () => IpwRuns.Run(pin ? "taskset" : ipw, work,
                    [
                        .. clientPin, .. pin ? new[] { ipw } : [], "profile", "--client", "llamacpp", "--client-base-url", url, "--dataset", "jsonl", "--dataset-path", prompts,
                        "--max-tokens", maxTokens.ToString(inv), "--concurrency", c.ToString(inv), "--seed", "0", "--warmup", "1",
                        "--client-param", $"reuse_connections={mode}",
                        "--baseline", "0", "--energy", "system", "--progress", "none", "--output-dir", output,
                    ]));
                    var (ipwTimes, startedAt) = ReadIpw(Directory.GetFiles(output, "data-00000-of-00001.arrow", SearchOption.AllDirectories).Single());
                    line += $"\n    ipw (reuse_connections={mode}): {Line(ipwTimes, ipwWire)}\n      {Split(ipwTimes, startedAt, ipwWire)}";
                }
                if (python is not null)
                {
                    var times = Path.Combine(work, $"py-{c}.txt");
                    var pyWire = Captured(work, port, $"py-{c}", () => IpwRuns.Run(pin ? "taskset" : python, work,
                    [
                        .. clientPin, .. pin ? new[] { python } : [], Path.Combine(root, "bench", "peers", "aiohttp_stream.py"), url, "--requests", requests.ToString(inv),
                        "--concurrency", c.ToString(inv), "--max-tokens", maxTokens.ToString(inv), "--ttft-out", times,
                    ]));
                    var py = File.ReadLines(times).Select(l => l.Split(' '))
                        .ToDictionary(p => long.Parse(p[0], inv), p => (Ttft: (double?)double.Parse(p[1], inv), E2e: double.Parse(p[2], inv)));
                    line += $"\n    Python aiohttp: {Line(py, pyWire)}, {requests - py.Count} failed";
                }
                Console.WriteLine(line);
            }
        }
        finally
        {
            Shell("bash", script, "stop", "--name", "bench-wire");
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Runs <paramref name="client"/> under a loopback capture of the server's port and reads the capture.</summary>
    private static Dictionary<long, WireCapture.Exchange> Captured(string work, int port, string name, Action client)
    {
        var pcap = Path.Combine(work, name + ".pcap");
        var psi = new ProcessStartInfo("tcpdump") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-i", "lo", "-nn", "-s", "0", "-U", "--immediate-mode", "-B", "65536", "-w", pcap, $"tcp port {port}" }) psi.ArgumentList.Add(a);
        using var tcpdump = Process.Start(psi) ?? throw new InvalidOperationException("tcpdump did not start (apt-get install tcpdump; it needs root)");
        // Capturing once it says so.
        while (tcpdump.StandardError.ReadLine() is { } l && !l.Contains("listening on", StringComparison.Ordinal)) { }
        client();
        // The last packets can still be on their way from the kernel's buffer to the file: stop once it stops growing.
        for (long size = -1; new FileInfo(pcap).Length != size; Thread.Sleep(100)) size = new FileInfo(pcap).Length;
        Shell("kill", "-INT", tcpdump.Id.ToString(CultureInfo.InvariantCulture));
        tcpdump.WaitForExit();
        return WireCapture.Read(pcap, port);
    }

    /// <summary>Seed → (TTFT, E2E), s, of every successful query, and seed → its send on the wall clock (Unix seconds:
    /// <c>started_at</c> + <c>client_queue_s</c>; ipw derives started_at from its monotonic clock once per run).</summary>
    private static (Dictionary<long, (double? Ttft, double E2e)> Times, Dictionary<long, double> StartedAt) ReadIpw(string data)
    {
        using var stream = File.OpenRead(data);
        using var reader = new ArrowStreamReader(stream);
        var times = new Dictionary<long, (double?, double)>();
        var started = new Dictionary<long, double>();
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            var index = (Int64Array)batch.Column("query_index");
            var status = (StringArray)batch.Column("status");
            var ttft = (DoubleArray)batch.Column("ttft_s");
            var e2e = (DoubleArray)batch.Column("e2e_latency_s");
            var at = (StringArray)batch.Column("started_at");
            var queue = (DoubleArray)batch.Column("client_queue_s");
            for (var i = 0; i < batch.Length; i++)
            {
                if (status.GetString(i) != "ok") continue;
                var seed = index.GetValue(i)!.Value;
                times[seed] = (ttft.GetValue(i), e2e.GetValue(i)!.Value);
                // started_at is when the query was handed to the client; its send is client_queue_s later.
                started[seed] = (DateTimeOffset.Parse(at.GetString(i), CultureInfo.InvariantCulture) - DateTimeOffset.UnixEpoch).TotalSeconds + (queue.GetValue(i) ?? 0);
            }
        }
        return (times, started);
    }

    /// <summary>Where ipw's TTFT excess lies: before the request reached the wire (ipw's send stamp → its first byte on the
    /// wire, the two clocks aligned through started_at) and after the token did (its last byte on the wire → ipw's stamp).</summary>
    private static string Split(Dictionary<long, (double? Ttft, double E2e)> client, Dictionary<long, double> startedAt, Dictionary<long, WireCapture.Exchange> wire)
    {
        var send = new List<double>();
        var receive = new List<double>();
        foreach (var (seed, t) in client)
        {
            if (!wire.TryGetValue(seed, out var w) || t.Ttft is not { } ct || w.FirstToken is not { } wt || !startedAt.TryGetValue(seed, out var s)) continue;
            var before = (w.Sent - s) * 1000;
            send.Add(before);
            receive.Add((ct - (wt - w.Sent)) * 1000 - before);
        }
        return $"of which before the send reached the wire p50 {Pct(send, 50):F2} / p99 {Pct(send, 99):F2} ms, after the token did p50 {Pct(receive, 50):F2} / p99 {Pct(receive, 99):F2} ms";
    }

    /// <summary>"TTFT p50 / p99, E2E p50 / p99" of client − wire, ms, over the requests both saw.</summary>
    private static string Line(Dictionary<long, (double? Ttft, double E2e)> client, Dictionary<long, WireCapture.Exchange> wire)
    {
        var ttft = new List<double>();
        var e2e = new List<double>();
        int unseen = 0, tokenless = 0;
        foreach (var (seed, t) in client)
        {
            if (!wire.TryGetValue(seed, out var w)) { unseen++; continue; }
            if (w.FirstToken is null) tokenless++;
            if (t.Ttft is { } ct && w.FirstToken is { } wt) ttft.Add((ct - (wt - w.Sent)) * 1000);
            if (w.Done is { } wd) e2e.Add((t.E2e - (wd - w.Sent)) * 1000);
        }
        return $"TTFT excess p50 {Pct(ttft, 50):F2} / p99 {Pct(ttft, 99):F2} ms, E2E excess p50 {Pct(e2e, 50):F2} / p99 {Pct(e2e, 99):F2} ms ({ttft.Count} matched" + (unseen + tokenless > 0 ? $"; {unseen} not on the wire, {tokenless} without a token there" : "") + ")";
    }

    private static double Pct(List<double> values, double p) => values.Count == 0 ? double.NaN : Statistics.Percentile([.. values.Order()], p);

    private static string Shell(string file, params string[] args) => IpwRuns.Run(file, Environment.CurrentDirectory, args);
}
