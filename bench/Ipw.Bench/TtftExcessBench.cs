using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Abstractions;

/// <summary>
/// <c>bench ttft-excess</c>: the client's TTFT minus the server's own first-chunk time (request received to first
/// chunk written), matched per request by its seed, at rising concurrency: what the harness adds to the TTFT it
/// reports. The server is bench/peers/sse_server.mjs (Node, one event loop); the whole <c>ipw profile</c> process is
/// measured, and in the same rounds the Python aiohttp peer.
/// </summary>
internal static class TtftExcessBench
{
    // Paced like a decode (a prefill, then a token every 10 ms), so the server's one event loop idles between chunks
    // and what is measured is the client, not a saturated server.
    private const int FirstChunkMs = 20;
    private const int ChunkIntervalMs = 10;

    /// <param name="pin">Server on the last CPU, ipw and the peer on the others (taskset): what the client adds when the
    /// server's thread does not run on the client's cores.</param>
    public static void Run(string ipw, string root, int[] concurrencies, bool pin = false)
    {
        var python = ChunkBench.FindPython();
        var last = Environment.ProcessorCount - 1;
        using var server = new NodeServer(Path.Combine(root, "bench", "peers", "sse_server.mjs"), FirstChunkMs, ChunkIntervalMs, pin ? last : null);
        string[] clientPin = pin ? ["-c", last == 1 ? "0" : $"0-{last - 1}"] : [];
        var work = Directory.CreateTempSubdirectory("ipw-bench-ttft-").FullName;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"client TTFT − the server's own first-chunk time, per request (closed loop, 16-token streams paced by the server: first chunk after {FirstChunkMs} ms, then one every {ChunkIntervalMs} ms{(pin ? $"; server pinned to CPU {last}, clients to the others" : "")})" +
                          (python is null ? " (no Python with aiohttp: apt-get install python3-aiohttp for the peer)" : ""));
        try
        {
            foreach (var c in concurrencies)
            {
                var requests = Math.Max(200, c * 8);
                var output = Path.Combine(work, $"c{c}");
                server.FirstChunks(); // start clean
                IpwRuns.Run(pin ? "taskset" : ipw, work,
                [
                    .. clientPin, .. pin ? new[] { ipw } : [], "profile", "--client", "openai", "--client-base-url", server.Url, "--model", "ipw-tiny",
                    "--dataset", "synthetic", "--dataset-option", $"count={requests}", "--dataset-option", "input_tokens=8",
                    "--dataset-option", "output_tokens=16", "--max-tokens", "16", "--concurrency", c.ToString(inv), "--seed", "0",
                    "--warmup", "1", "--baseline", "0", "--energy", "system", "--progress", "none", "--output-dir", output,
                ]);
                var serverTimes = server.FirstChunks();
                var ipwExcess = Excess(ReadTtft(Directory.GetFiles(output, "data-00000-of-00001.arrow", SearchOption.AllDirectories).Single()), serverTimes);
                var line = $"  c={c,-3} ({requests} requests): ipw p50 {Pct(ipwExcess, 50):F2} ms, p99 {Pct(ipwExcess, 99):F2} ms";
                if (python is not null)
                {
                    var ttftFile = Path.Combine(work, $"py-c{c}.txt");
                    IpwRuns.Run(pin ? "taskset" : python, work,
                    [
                        .. clientPin, .. pin ? new[] { python } : [], Path.Combine(root, "bench", "peers", "aiohttp_stream.py"), server.Url, "--requests", requests.ToString(inv),
                        "--concurrency", c.ToString(inv), "--max-tokens", "16", "--ttft-out", ttftFile,
                    ]);
                    var py = File.ReadLines(ttftFile).Select(l => l.Split(' ')).ToDictionary(p => int.Parse(p[0], inv), p => double.Parse(p[1], inv));
                    var pyExcess = Excess(py, server.FirstChunks());
                    line += $"; Python aiohttp p50 {Pct(pyExcess, 50):F2} ms, p99 {Pct(pyExcess, 99):F2} ms";
                }
                Console.WriteLine(line);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Seed (query index + 0) → TTFT, s, of every query that had one.</summary>
    private static Dictionary<int, double> ReadTtft(string data)
    {
        using var stream = File.OpenRead(data);
        using var reader = new ArrowStreamReader(stream);
        var ttft = new Dictionary<int, double>();
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            var index = (Int64Array)batch.Column("query_index");
            var t = (DoubleArray)batch.Column("ttft_s");
            for (var i = 0; i < batch.Length; i++)
                if (t.GetValue(i) is { } v) ttft[(int)index.GetValue(i)!.Value] = v;
        }
        return ttft;
    }

    /// <summary>Client TTFT − server first-chunk time, ms, for the requests both saw.</summary>
    private static List<double> Excess(Dictionary<int, double> client, Dictionary<int, double> server) =>
        client.Where(p => server.ContainsKey(p.Key)).Select(p => (p.Value - server[p.Key]) * 1000).Order().ToList();

    private static double Pct(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : Statistics.Percentile(sorted.ToArray(), p);
}
