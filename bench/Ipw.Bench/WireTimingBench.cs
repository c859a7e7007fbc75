using System.Diagnostics;
using System.Text.Json;
using Ipw.Abstractions;
using Ipw.Core.Profiling;
using Ipw.Plugins.Http;
using Ipw.TestServer;

/// <summary>
/// How far the client's TTFT and inter-token latencies are from a golden transcript's timing (vllm/long-decode:
/// ~200 one-token chunks), at concurrency 1 and 64. The server replays the transcript in its own process; both
/// processes read the same monotonic clock, so each chunk's receipt is compared with the schedule the transcript
/// sets and with the moment the server actually flushed it (the harness's own error).
/// </summary>
internal static class WireTimingBench
{
    public static void Run(string serverDll)
    {
        var (server, url) = ClientBench.StartServer(serverDll);
        using var _ = server;
        try
        {
            var transcript = Transcript.Named("vllm/long-decode");
            var schedule = transcript.Exchanges.Last(e => e.Chunks is not null).Chunks!.Select(c => c.AtMs).ToArray();
            foreach (var (concurrency, rounds) in new[] { (1, 10), (64, 3) })
            {
                // 64 streams on 2 cores: the server's exact-time spin would compete with the client, so plain timers.
                Command(server, "behaviour " + JsonSerializer.Serialize(new Behaviour { Replay = transcript.Name, ExactTiming = concurrency == 1 }));
                var options = new ClientOptions(null, new Uri(url, "v1").ToString(), new Dictionary<string, string>());
                var client = new OpenAiClient(OpenAiFlavor.Vllm, options);
                client.PrepareAsync(CancellationToken.None).GetAwaiter().GetResult();
                Send(client, 0, 2); // warm both ends
                Command(server, "clear");
                var results = new List<(int Id, InferenceResult Result)>();
                for (var round = 0; round < rounds; round++)
                    results.AddRange(Send(client, 1000 * (round + 1), concurrency));
                var served = Served(server);
                Report(concurrency, results, served, schedule, transcript.Expect.TtftMs!.Value);
                client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            server.StandardInput.WriteLine("quit");
            server.WaitForExit(10_000);
        }
        finally
        {
            if (!server.HasExited) server.Kill();
        }
    }

    private static List<(int, InferenceResult)> Send(IInferenceClient client, int first, int count) =>
        Task.WhenAll(Enumerable.Range(first, count).Select(async id => (id, await client.SendAsync(
            new InferenceRequest("b", [new ChatMessage("user", $"request {id}")], new GenerationParameters(256, 0, id)), CancellationToken.None))))
            .GetAwaiter().GetResult().ToList();

    private static void Report(int concurrency, List<(int Id, InferenceResult Result)> results, Dictionary<int, ServedRequest> served, double[] schedule, double ttftMs)
    {
        List<double> ttftVsSchedule = [], chunkVsFlush = [], gapVsSchedule = [], clientItl = [];
        foreach (var (id, r) in results)
        {
            if (r.Error is not null) throw new InvalidOperationException($"request {id}: {r.Error.Message}");
            var s = served[id];
            var metrics = TimelineMetrics.From(r);
            ttftVsSchedule.Add(metrics.TtftS!.Value * 1000 - ttftMs);
            int previousIndex = -1;
            long previous = 0;
            foreach (var chunk in r.Chunks.Where(c => c.Kind != ChunkKind.Empty))
            {
                // The server chunk this one arrived in: the latest flushed before it was read.
                var j = s.ChunkWrittenAt.Count(w => w <= chunk.Timestamp) - 1;
                chunkVsFlush.Add(Stopwatch.GetElapsedTime(s.ChunkWrittenAt[j], chunk.Timestamp).TotalMilliseconds);
                if (previousIndex >= 0)
                {
                    var gap = Stopwatch.GetElapsedTime(previous, chunk.Timestamp).TotalMilliseconds;
                    clientItl.Add(gap);
                    gapVsSchedule.Add(gap - (schedule[j] - schedule[previousIndex]));
                }
                previousIndex = j;
                previous = chunk.Timestamp;
            }
        }
        Console.WriteLine($"wire timing vs vllm/long-decode, concurrency {concurrency}, {results.Count} streams, {chunkVsFlush.Count} chunks:");
        Console.WriteLine($"  TTFT − transcript TTFT ({ttftMs:0.#} ms): {Describe(ttftVsSchedule)}");
        Console.WriteLine($"  ITL − transcript gap: {Describe(gapVsSchedule)}");
        Console.WriteLine($"  chunk read − server flush (the harness's own delay): {Describe(chunkVsFlush)}");
    }

    private static string Describe(List<double> values)
    {
        var sorted = values.Order().ToArray();
        double P(double p) => Statistics.Percentile(sorted, p);
        return $"p50 {P(50):F3} ms, p90 {P(90):F3} ms, p99 {P(99):F3} ms, max {sorted[^1]:F3} ms";
    }

    private static string Command(Process server, string line)
    {
        server.StandardInput.WriteLine(line);
        return server.StandardOutput.ReadLine()!;
    }

    private static Dictionary<int, ServedRequest> Served(Process server)
    {
        server.StandardInput.WriteLine("served");
        var all = new Dictionary<int, ServedRequest>();
        while (server.StandardOutput.ReadLine() is { } line && line != "end")
        {
            var s = JsonSerializer.Deserialize<ServedRequest>(line)!;
            if (s.Path != "/v1/chat/completions") continue;
            var marker = s.RequestJson.IndexOf("request ", StringComparison.Ordinal);
            var digits = new string(s.RequestJson[(marker + 8)..].TakeWhile(char.IsAsciiDigit).ToArray());
            all[int.Parse(digits)] = s;
        }
        return all;
    }
}
