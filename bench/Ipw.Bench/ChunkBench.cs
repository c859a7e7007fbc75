using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

/// <summary>
/// <c>bench chunks</c>: streamed chunks handled per CPU-second of the whole <c>ipw profile</c> process (the openai
/// client, closed loop at c=64, short chunks, every record written), against a fast event-loop SSE server
/// (bench/peers/sse_server.mjs, Node), and in the same rounds a Python aiohttp client written as vLLM's benchmark
/// request functions are (bench/peers/aiohttp_stream.py). CPU is each process's own, from getrusage(RUSAGE_CHILDREN)
/// around it; the chunk count is the server's.
/// </summary>
internal static partial class ChunkBench
{
    public static void Run(string ipw, string root, int requests, int concurrency, int maxTokens, int rounds)
    {
        var python = FindPython();
        using var server = new NodeServer(Path.Combine(root, "bench", "peers", "sse_server.mjs"), firstChunkMs: 0);
        Console.WriteLine($"chunks per CPU-second: {requests} requests of {maxTokens} chunks at c={concurrency}, {rounds} rounds" +
                          (python is null ? " (no Python with aiohttp: apt-get install python3-aiohttp for the peer)" : ""));
        var work = Directory.CreateTempSubdirectory("ipw-bench-chunks-").FullName;
        var inv = CultureInfo.InvariantCulture;
        try
        {
            for (var round = 1; round <= rounds; round++)
            {
                string[] profile =
                [
                    "profile", "--client", "openai", "--client-base-url", server.Url, "--model", "ipw-tiny",
                    "--dataset", "synthetic", "--dataset-option", $"count={requests}", "--dataset-option", "input_tokens=8",
                    "--dataset-option", $"output_tokens={maxTokens}", "--max-tokens", maxTokens.ToString(inv),
                    "--concurrency", concurrency.ToString(inv), "--warmup", "1", "--baseline", "0", "--energy", "system",
                    "--progress", "none", "--output-dir", Path.Combine(work, $"r{round}"),
                ];
                var (ipwCpu, ipwChunks, ipwWall) = Measure(server, ipw, profile);
                var line = $"  round {round}: ipw {ipwChunks / ipwCpu / 1e6:F2} M chunks per CPU-second ({ipwChunks:N0} chunks, {ipwCpu:F2} CPU-s, {ipwWall:F1} s wall)";
                if (python is not null)
                {
                    var (pyCpu, pyChunks, pyWall) = Measure(server, python,
                    [
                        Path.Combine(root, "bench", "peers", "aiohttp_stream.py"), server.Url, "--requests", requests.ToString(inv),
                        "--concurrency", concurrency.ToString(inv), "--max-tokens", maxTokens.ToString(inv),
                    ]);
                    line += $"; Python aiohttp {pyChunks / pyCpu / 1e6:F2} M ({pyChunks:N0} chunks, {pyCpu:F2} CPU-s, {pyWall:F1} s wall); ratio {ipwChunks / ipwCpu / (pyChunks / pyCpu):F2}×";
                }
                Console.WriteLine(line);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static (double CpuS, long Chunks, double WallS) Measure(NodeServer server, string file, string[] args)
    {
        var before = server.Chunks();
        var cpu = ChildrenCpu();
        var wall = Stopwatch.StartNew();
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} failed: {stderr.Result}");
        }
        return (ChildrenCpu() - cpu, server.Chunks() - before, wall.Elapsed.TotalSeconds);
    }

    internal static string? FindPython()
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(candidate, "-c \"import aiohttp\"") { RedirectStandardError = true, RedirectStandardOutput = true })!;
                p.WaitForExit();
                if (p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed
            }
        }
        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec;
        public long Maxrss, Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out Rusage usage);

    /// <summary>CPU seconds of every child process this one has waited for (RUSAGE_CHILDREN).</summary>
    private static double ChildrenCpu()
    {
        if (GetRusage(-1, out var u) != 0) throw new InvalidOperationException("getrusage failed");
        return u.UtimeSec + u.StimeSec + (u.UtimeUsec + u.StimeUsec) / 1e6;
    }
}

/// <summary>bench/peers/sse_server.mjs in its own process, for as long as the benchmark needs it.</summary>
internal sealed class NodeServer : IDisposable
{
    private static readonly HttpClient Http = new();
    private readonly Process _process;
    public string Url { get; }

    public NodeServer(string script, int firstChunkMs, int chunkIntervalMs = 0, int? cpu = null)
    {
        var psi = new ProcessStartInfo(cpu is null ? "node" : "taskset") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (cpu is { } c) foreach (var a in new[] { "-c", c.ToString(CultureInfo.InvariantCulture), "node" }) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(script);
        psi.Environment["IPW_FIRST_CHUNK_MS"] = firstChunkMs.ToString(CultureInfo.InvariantCulture);
        psi.Environment["IPW_CHUNK_INTERVAL_MS"] = chunkIntervalMs.ToString(CultureInfo.InvariantCulture);
        _process = Process.Start(psi)!;
        Url = _process.StandardOutput.ReadLine()!.Split(' ')[1];
    }

    public long Chunks() => JsonDocument.Parse(Http.GetStringAsync(Url + "stats").Result).RootElement.GetProperty("chunks").GetInt64();

    /// <summary>The server's own first-chunk time per request seed since the last call, s.</summary>
    public Dictionary<int, double> FirstChunks() =>
        JsonDocument.Parse(Http.GetStringAsync(Url + "first-chunk").Result).RootElement.EnumerateObject()
            .ToDictionary(p => int.Parse(p.Name, CultureInfo.InvariantCulture), p => p.Value.GetDouble());

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000)) _process.Kill();
        _process.Dispose();
    }
}
