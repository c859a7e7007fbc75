using System.Diagnostics;
using System.Text.Json;
using Ipw.Abstractions;
using Ipw.Core.Runs;
using Ipw.TestServer;
using MathNet.Numerics;

/// <summary>
/// The soak: the real binary drives many concurrent streams for minutes against the test server (its own process,
/// canned tokens) with faults mixed in (connections cut, HTTP 500s, hung streams that the client's timeout ends, slow
/// drips), is SIGKILLed twice and resumed each time, and must end with every query recorded exactly once. While it runs,
/// the ipw process's resident memory and open file descriptors are read every second: the memory's slope (a fit over each
/// part after its first 30 s) and the descriptors' peak against the streams in flight say whether anything leaks.
/// </summary>
internal static class SoakBench
{
    private sealed record Sample(double T, int Part, double RssMiB, int Fds);

    /// <summary>When a part sent its queries: from its start to its kill, or, for the last, until its remaining queries
    /// were due (after that it drains and closes, which is not steady state).</summary>
    private sealed record Sending(int Part, double From, double To, long Queries);

    public static void Run(string ipw, string serverDll, double minutes, int concurrency)
    {
        using var server = new LoadBench.Server(serverDll, core: null);
        var mix = new Dictionary<Fault, double> { [Fault.Disconnect] = 0.05, [Fault.Http500] = 0.02, [Fault.Hang] = 0.01, [Fault.SlowDrip] = 0.05 };
        // About 4 s a stream (a 1 s first token, 32 chunks 100 ms apart); a slow drip 500 ms apart; a hang until the
        // client's 30 s total timeout.
        server.Behave(new Behaviour
        {
            CannedTokens = 24,
            CannedTokensSpread = 16,
            FirstTokenDelay = TimeSpan.FromSeconds(1),
            InterChunkDelay = TimeSpan.FromMilliseconds(100),
            SlowDripGap = TimeSpan.FromMilliseconds(500),
            ExactTiming = false,
            KeepLog = false,
            FaultMix = mix,
        });
        var seconds = minutes * 60;
        // Open loop (Poisson) at the rate that keeps about `concurrency` streams in flight (Little's law), so the harness's
        // send lag is measured under that load.
        var rate = concurrency / 4.4;
        var count = (int)(rate * seconds);
        var work = Directory.CreateTempSubdirectory("ipw-bench-soak-").FullName;
        string[] profile =
        [
            "profile", "--client", "openai", "--client-base-url", server.Url.ToString(), "--model", InferenceServer.ModelName,
            "--dataset", "synthetic", "--dataset-option", $"count={count}", "--dataset-option", "input_tokens=32", "--dataset-option", "output_tokens=64",
            "--rate", rate.ToString("F1", System.Globalization.CultureInfo.InvariantCulture), "--warmup", "0", "--baseline", "0",
            "--max-errors", "100%", "--client-param", "total_timeout=30", "--energy", "system", "--progress", "none", "--output-dir", "runs",
        ];
        Console.WriteLine($"soak: {count} queries, open loop at {rate:F0}/s (about {concurrency} streams in flight), about {minutes} min; faults: 5 % cut, 2 % HTTP 500, 1 % hung (30 s timeout), 5 % slow drip; SIGKILL at 1/3 and 2/3, resumed each time");
        var samples = new List<Sample>();
        var sending = new List<Sending>();
        var clock = Stopwatch.StartNew();
        string? run = null;
        try
        {
            for (var part = 0; part < 3; part++)
            {
                string[] args = part == 0 ? profile : ["profile", "--resume", run!, "--progress", "none"];
                var before = run is null ? 0 : CountRecords(run);
                var from = clock.Elapsed.TotalSeconds;
                var psi = new ProcessStartInfo(ipw) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in args) psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                var killAt = part < 2 ? TimeSpan.FromSeconds(seconds * (part + 1) / 3) : TimeSpan.MaxValue;
                while (!p.WaitForExit(1000))
                {
                    if (Read(p.Id) is { } s) samples.Add(new Sample(clock.Elapsed.TotalSeconds, part, s.RssMiB, s.Fds));
                    if (clock.Elapsed < killAt) continue;
                    p.Kill(); // SIGKILL
                    p.WaitForExit();
                    break;
                }
                run ??= Directory.GetDirectories(Path.Combine(work, "runs")).Single();
                var records = CountRecords(run);
                var to = part < 2 ? clock.Elapsed.TotalSeconds : from + (count - before) / rate;
                sending.Add(new Sending(part, from, to, records - before));
                Console.WriteLine($"  part {part + 1}: {(part < 2 ? "SIGKILLed" : $"exit {p.ExitCode}")} at {clock.Elapsed.TotalSeconds:F0} s, {records} records on disk");
                if (part == 2 && p.ExitCode != 0) Console.WriteLine($"  stderr: {stderr.Result.Trim()}");
                _ = stdout.Result;
            }
            Report(run!, count, concurrency, samples, sending);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static (double RssMiB, int Fds)? Read(int pid)
    {
        try
        {
            var rss = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kib = double.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            return (kib / 1024, Directory.GetFiles($"/proc/{pid}/fd").Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null; // the process ended between reads
        }
    }

    private static long CountRecords(string run)
    {
        var data = Path.Combine(run, RunStore.DataFileName);
        return File.Exists(data) ? RecordReader.Read(data, [RecordColumns.QueryIndex]).LongCount() : 0;
    }

    private static void Report(string run, int count, int concurrency, List<Sample> samples, List<Sending> sending)
    {
        var indices = RecordReader.Read(Path.Combine(run, RunStore.DataFileName), [RecordColumns.QueryIndex, RecordColumns.Status]).ToList();
        var distinct = indices.Select(r => r.QueryIndex).Distinct().Count();
        var byStatus = indices.GroupBy(r => r.Status).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
        Console.WriteLine($"  records: {indices.Count} for {count} queries, {distinct} distinct query indices, {indices.Count - distinct} duplicates, "
            + $"{count - distinct} missing; by status: {string.Join(", ", byStatus)}");
        foreach (var part in samples.GroupBy(s => s.Part))
        {
            // The garbage collector makes RSS a saw: its troughs (the least in each 10 s) follow what the process keeps.
            // Fitted over the part's steady sending, after its first 30 s.
            var window = sending[part.Key];
            var troughs = part.Where(s => s.T >= window.From + 30 && s.T <= window.To)
                .GroupBy(s => Math.Floor(s.T / 10)).Select(g => (T: g.Key * 10 / 60, Rss: g.Min(s => s.RssMiB))).ToList();
            var slope = troughs.Count >= 4 ? Fit.Line(troughs.Select(t => t.T).ToArray(), troughs.Select(t => t.Rss).ToArray()).B : double.NaN;
            var perMinute = window.Queries / ((window.To - window.From) / 60);
            Console.WriteLine($"  part {part.Key + 1}: RSS {part.Min(s => s.RssMiB):F0}–{part.Max(s => s.RssMiB):F0} MiB; trough slope {slope:F2} MiB/min over {troughs.Count * 10} s of sending "
                + $"({slope * 1048576 / perMinute:F0} bytes a query at {perMinute:F0} queries/min); open fds {part.Min(s => s.Fds)}–{part.Max(s => s.Fds)} "
                + $"(about {concurrency} streams in flight), last {part.Last().Fds}");
        }
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, RunStore.SummaryFileName)));
        var root = summary.RootElement;
        var load = root.GetProperty("load");
        // A closed loop has no schedule, so no send lag; its client-side queueing before the send stands for it.
        var lag = load.TryGetProperty("send_lag_s", out var l) && l.ValueKind == JsonValueKind.Object ? $"send lag p99 {l.GetProperty("p99").GetDouble() * 1000:F1} ms"
            : load.TryGetProperty("client_queue_s", out var q) && q.ValueKind == JsonValueKind.Object ? $"client queue p99 {q.GetProperty("p99").GetDouble() * 1000:F1} ms" : "no send lag (closed loop)";
        Console.WriteLine($"  summary: {root.GetProperty("status").GetString()}, {root.GetProperty("counts").GetProperty("queries").GetInt32()} queries, "
            + $"{root.GetProperty("resumes").GetArrayLength()} resumptions; the last part: max in flight {load.GetProperty("max_in_flight")}, {lag}");
    }
}
