using System.Diagnostics;
using System.Text;
using Ipw.Abstractions;
using Ipw.Plugins.Http;
using Ipw.TestServer;

/// <summary>Issue 3's benchmarks: stream parsing throughput per CPU-second, and the client's TTFT overhead
/// against a server whose first-token time is known exactly.</summary>
internal static class ClientBench
{
    public static void ParseThroughput()
    {
        const int chunks = 200_000;
        // A vLLM-like chat stream: role chunk, one-token content deltas, finish, usage, [DONE].
        var sse = new StringBuilder();
        sse.Append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        string[] words = ["The", " answer", " is", " seven", ",", " because", " lantern", " has", " seven", " letters", ".", "\\n"];
        for (var i = 0; i < chunks; i++)
            sse.Append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"")
               .Append(words[i % words.Length]).Append("\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        sse.Append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":200000,\"total_tokens\":200010}}\n\n");
        sse.Append("data: [DONE]\n\n");
        var sseBytes = Encoding.UTF8.GetBytes(sse.ToString());

        var ndjson = new StringBuilder();
        for (var i = 0; i < chunks; i++)
            ndjson.Append("{\"model\":\"m\",\"created_at\":\"2026-01-01T00:00:00.000000Z\",\"message\":{\"role\":\"assistant\",\"content\":\"")
                  .Append(words[i % words.Length]).Append("\"},\"done\":false}\n");
        ndjson.Append("{\"model\":\"m\",\"created_at\":\"2026-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"length\",\"total_duration\":1,\"load_duration\":1,\"prompt_eval_count\":10,\"prompt_eval_duration\":1,\"eval_count\":200000,\"eval_duration\":1}\n");
        var ndjsonBytes = Encoding.UTF8.GetBytes(ndjson.ToString());

        Measure("SSE (openai/vllm)", chunks, () =>
        {
            var state = new StreamState();
            OpenAiClient.ReadSseAsync(new MemoryStream(sseBytes, writable: false), state, CancellationToken.None).GetAwaiter().GetResult();
            if (state.Chunks.Count != chunks + 2 || state.OutputTokens != 200_000) throw new InvalidOperationException("parse mismatch");
        });
        Measure("NDJSON (ollama)", chunks, () =>
        {
            var state = new StreamState();
            NdjsonReader.ReadAsync(new MemoryStream(ndjsonBytes, writable: false), line => OllamaChunkParser.Parse(line, state), () => state.Completed, CancellationToken.None)
                .GetAwaiter().GetResult();
            if (state.Chunks.Count != chunks || state.OutputTokens != 200_000) throw new InvalidOperationException("parse mismatch");
        });
    }

    private static void Measure(string name, int chunks, Action run)
    {
        for (var i = 0; i < 3; i++) run(); // warm-up and tiered JIT
        var best = double.MaxValue;
        long allocated = 0;
        for (var i = 0; i < 5; i++)
        {
            var cpu = Environment.CpuUsage.TotalTime;
            var before = GC.GetAllocatedBytesForCurrentThread();
            run();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            best = Math.Min(best, (Environment.CpuUsage.TotalTime - cpu).TotalSeconds);
        }
        Console.WriteLine($"parse {name}: {chunks / best / 1e6:F2} M chunks per CPU-second (best of 5, {chunks} chunks), " +
                          $"{(double)allocated / chunks:F1} bytes allocated per chunk (text buffers and the timeline included)");
    }

    /// <summary>Starts the test server (tests/Ipw.TestServer) in its own process, commanded through stdin; returns it
    /// and the URL it printed.</summary>
    internal static (Process Server, Uri Url) StartServer(string serverDll)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(serverDll);
        psi.Environment["IPW_CACHE_DIR"] = Directory.CreateTempSubdirectory("ipw-bench-cache-").FullName;
        var server = Process.Start(psi)!;
        return (server, new Uri(server.StandardOutput.ReadLine()!.Split(' ')[1]));
    }

    /// <summary>The server in its own process: the client's thread pool and GC are its own, as against a real service.
    /// Both processes read the same monotonic clock, so the server's write times are comparable.</summary>
    public static void TtftOverheadOutOfProcess(string serverDll, int requests)
    {
        var (server, url) = StartServer(serverDll);
        using var _ = server;
        try
        {
            string Command(string line)
            {
                server.StandardInput.WriteLine(line);
                return server.StandardOutput.ReadLine()!;
            }
            foreach (var client in new[] { "openai", "ollama" })
            {
                Command("behaviour " + System.Text.Json.JsonSerializer.Serialize(new Behaviour
                {
                    FirstTokenDelay = TimeSpan.FromMilliseconds(20),
                    InterChunkDelay = TimeSpan.FromMilliseconds(25),
                }));
                var options = new ClientOptions(InferenceServer.ModelName, url.ToString(), new Dictionary<string, string>());
                IInferenceClient c = client == "ollama" ? new OllamaClient(options) : new OpenAiClient(OpenAiFlavor.OpenAi, options);
                c.PrepareAsync(CancellationToken.None).GetAwaiter().GetResult();
                var errors = new List<double>();
                for (var i = 0; i < requests + 20; i++)
                {
                    Command("clear");
                    var r = c.SendAsync(new InferenceRequest("b", [new ChatMessage("user", "Count to five.")], new GenerationParameters(2, 0.8, i)), CancellationToken.None)
                        .GetAwaiter().GetResult();
                    server.StandardInput.WriteLine("served");
                    var s = System.Text.Json.JsonSerializer.Deserialize<ServedRequest>(server.StandardOutput.ReadLine()!)!;
                    if (server.StandardOutput.ReadLine() != "end") throw new InvalidOperationException("one request expected");
                    var first = r.Chunks.First(ch => ch.Kind != ChunkKind.Empty).Timestamp;
                    var clientTtft = Stopwatch.GetElapsedTime(r.SentAt, first).TotalMilliseconds;
                    var serverTtft = Stopwatch.GetElapsedTime(s.ReceivedAt, s.FirstTextWrittenAt).TotalMilliseconds;
                    if (i >= 20) errors.Add(clientTtft - serverTtft);
                }
                Report($"{client}, server in its own process", requests, errors);
                c.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            server.StandardInput.WriteLine("quit");
            server.WaitForExit(10_000);
        }
        finally
        {
            if (!server.HasExited) server.Kill();
        }
    }

    private static void Report(string what, int requests, List<double> errors)
    {
        errors.Sort();
        double P(double q) => errors[Math.Min(errors.Count - 1, (int)(q * errors.Count))];
        Console.WriteLine($"TTFT error vs ground truth ({what}, concurrency 1, {requests} requests, loopback): " +
                          $"p50 {P(0.5):F3} ms, p90 {P(0.9):F3} ms, p99 {P(0.99):F3} ms, max {errors[^1]:F3} ms");
    }

    public static void TtftOverhead(int requests)
    {
        Environment.SetEnvironmentVariable("IPW_CACHE_DIR", Directory.CreateTempSubdirectory("ipw-bench-cache-").FullName);
        var server = InferenceServer.StartAsync().GetAwaiter().GetResult();
        try
        {
            foreach (var client in new[] { "openai", "ollama" })
            {
                // Chunks far apart: the server's exact-time spin before each write must not compete with the client for the 2 cores.
                server.Behaviour = new Behaviour { FirstTokenDelay = TimeSpan.FromMilliseconds(20), InterChunkDelay = TimeSpan.FromMilliseconds(25) };
                var options = new ClientOptions(InferenceServer.ModelName, server.BaseUrl.ToString(), new Dictionary<string, string>());
                IInferenceClient c = client == "ollama" ? new OllamaClient(options) : new OpenAiClient(OpenAiFlavor.OpenAi, options);
                c.PrepareAsync(CancellationToken.None).GetAwaiter().GetResult();
                var errors = new List<double>();
                for (var i = 0; i < requests + 20; i++)
                {
                    server.Served.Clear();
                    var r = c.SendAsync(new InferenceRequest("b", [new ChatMessage("user", "Count to five.")], new GenerationParameters(2, 0.8, i)), CancellationToken.None)
                        .GetAwaiter().GetResult();
                    var s = server.Served.Single();
                    var first = r.Chunks.First(ch => ch.Kind != ChunkKind.Empty).Timestamp;
                    var clientTtft = Stopwatch.GetElapsedTime(r.SentAt, first).TotalMilliseconds;
                    var serverTtft = Stopwatch.GetElapsedTime(s.ReceivedAt, s.FirstTextWrittenAt).TotalMilliseconds;
                    if (i >= 20) errors.Add(clientTtft - serverTtft); // the first 20 warm both ends up
                }
                Report($"{client}, server in the same process", requests, errors);
                c.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
