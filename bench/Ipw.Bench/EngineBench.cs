using System.Globalization;
using System.Text.Json;
using Ipw.Plugins.LlamaSharp;
using Ipw.Plugins.TorchSharp;

/// <summary>
/// The two in-process engines on models of the same shape: llamasharp (llama.cpp, GGUF float32) and torchsharp (libtorch,
/// safetensors float32), each through <c>ipw profile</c> on the same synthetic workload with fixed output lengths. The shapes
/// are the built-in one (2 layers, 128 wide) and larger ones written here with seeded random weights; the tokenizers are
/// the same byte-level BPE design, so prompts are about as long in both.
/// </summary>
internal static class EngineBench
{
    private sealed record Size(string Name, int Hidden, int Layers, int Ff, int Heads, int KvHeads);

    public static void Run(string ipw, string root)
    {
        var libtorch = Path.Combine(root, "artifacts", "Release", "plugins", "Ipw.Plugins.TorchSharp", "libtorch");
        if (Environment.GetEnvironmentVariable("IPW_LIBTORCH_DIR") is not { Length: > 0 })
            Environment.SetEnvironmentVariable("IPW_LIBTORCH_DIR", libtorch);
        TorchNatives.EnsureLoaded();
        var work = Directory.CreateTempSubdirectory("ipw-bench-engines-").FullName;
        try
        {
            Size[] sizes =
            [
                new("tiny", 128, 2, 256, 4, 2),
                new("small", 512, 8, 1408, 8, 4),
                new("medium", 1024, 12, 2816, 16, 4),
            ];
            // IPW_BENCH_SIZES=tiny,small limits the shapes (the medium one takes about four minutes on 2 cores).
            if (Environment.GetEnvironmentVariable("IPW_BENCH_SIZES") is { Length: > 0 } only)
                sizes = [.. sizes.Where(s => only.Split(',').Contains(s.Name))];
            var threads = Environment.ProcessorCount;
            Console.WriteLine($"engines: synthetic workload, 10 queries, output 64 tokens, greedy, {threads} threads, float32 weights");
            foreach (var size in sizes)
            {
                var gguf = Path.Combine(work, $"{size.Name}.gguf");
                using (var stream = File.Create(gguf)) TinyModel.Build($"bench-{size.Name}", size.Hidden, size.Layers, size.Ff, size.Heads, size.KvHeads).WriteTo(stream);
                var folder = Path.Combine(work, $"{size.Name}-hf");
                TinyHfModel.Write(folder, new TinyHfModel.Shape("llama", size.Hidden, size.Layers, size.Heads, size.KvHeads, size.Ff, 16384, false), seed: 5);
                foreach (var input in new[] { 32, 256 })
                {
                    var llama = Profile(ipw, work, "llamasharp", gguf, input, threads, []);
                    var torch = Profile(ipw, work, "torchsharp", folder, input, threads, ["--client-param", "ignore_eos=true"]);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {size.Name,-6} ({llama.Parameters / 1e6,5:F1} M params) input {input,3} cl100k tokens ({llama.InputTokens:F0} / {torch.InputTokens:F0} engine tokens): " +
                        $"llamasharp TTFT p50 {llama.TtftMs,7:F1} ms, {llama.DecodeRate,6:F1} tok/s | torchsharp TTFT p50 {torch.TtftMs,7:F1} ms, {torch.DecodeRate,6:F1} tok/s " +
                        $"| torch/llama decode {torch.DecodeRate / llama.DecodeRate:F2}x, TTFT {torch.TtftMs / llama.TtftMs:F2}x"));
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private sealed record Numbers(double TtftMs, double DecodeRate, double InputTokens, double Parameters);

    private static Numbers Profile(string ipw, string work, string client, string model, int input, int threads, string[] extra)
    {
        var output = Path.Combine(work, "runs", $"{client}-{Path.GetFileName(model)}-{input}");
        IpwRuns.Run(ipw, work, new[] { "profile", "--client", client, "--model", model, "--dataset", "synthetic", "--dataset-param", "count=10",
            "--dataset-param", $"input_tokens={input}", "--dataset-param", "output_tokens=64", "--temperature", "0",
            "--threads", threads.ToString(CultureInfo.InvariantCulture), "--output-dir", output, "--progress", "none" }.Concat(extra));
        var run = Directory.GetDirectories(output).Single();
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var totals = summary.RootElement.GetProperty("totals");
        var details = summary.RootElement.GetProperty("model").GetProperty("details");
        return new Numbers(IpwRuns.Get(totals, "ttft_s", "p50") * 1000, IpwRuns.Get(totals, "mean_decode_tokens_per_s"), IpwRuns.Get(totals, "input_tokens") / IpwRuns.Get(totals, "ttft_s", "count"),
            double.Parse(details.GetProperty("parameters").GetString()!, CultureInfo.InvariantCulture));
    }
}
