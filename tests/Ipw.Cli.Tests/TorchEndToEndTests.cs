using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ipw.Cli.Tests;

/// <summary>
/// The torchsharp client and the torch load through the real binary, with the libtorch the README's test command installs
/// beside the plugin (-p:IpwLibTorch=cpu).
/// </summary>
public sealed class TorchEndToEndTests : IDisposable
{
    private readonly TempDir _work = new();

    [Fact]
    public void Profile_on_the_built_in_safetensors_model_writes_correct_records()
    {
        var r = IpwProcess.Run(_work.Path, ["profile", "--client", "torchsharp", "--max-queries", "6", "--max-tokens", "12", "--threads", "1", "--output-dir", "runs"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("client torchsharp, model ipw-tiny-hf", r.Stdout);
        var run = Assert.Single(Directory.GetDirectories(_work.Combine("runs")));
        Assert.EndsWith("_ipw-tiny-hf", run);

        var table = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow"));
        var rows = table.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(6, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal("ok", row.GetProperty("status").GetString());
            Assert.InRange(row.GetProperty("output_tokens").GetInt64(), 1, 12);
            Assert.True(row.GetProperty("input_tokens").GetInt64() > 5);
            var ttft = row.GetProperty("ttft_s").GetDouble();
            Assert.InRange(ttft, 1e-6, row.GetProperty("completed_at_s").GetDouble() - row.GetProperty("sent_at_s").GetDouble());
        }

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var model = summary.RootElement.GetProperty("model");
        Assert.Equal("ipw-tiny-hf", model.GetProperty("label").GetString());
        var details = model.GetProperty("details");
        Assert.Equal("llama", details.GetProperty("architecture").GetString());
        Assert.StartsWith("TorchSharp 0.107.0 (libtorch 2.10.0", details.GetProperty("engine").GetString());
        Assert.Contains("byte-level BPE", details.GetProperty("tokenizer").GetString());
        var memory = summary.RootElement.GetProperty("client").GetProperty("report").GetProperty("torchsharp_memory");
        Assert.True(memory.GetProperty("weight_bytes").GetInt64() > 1_000_000);
    }

    [Fact]
    public void Without_libtorch_the_client_is_listed_with_the_reason_and_a_profile_fails_in_one_line()
    {
        var env = new Dictionary<string, string> { ["IPW_LIBTORCH_DIR"] = _work.Combine("no-libtorch") };
        var list = IpwProcess.Run(_work.Path, ["list", "clients"], env);
        Assert.Equal(0, list.ExitCode);
        Assert.Matches(@"torchsharp .*\n\s+from Ipw.Plugins.TorchSharp; unavailable: the libtorch folder .*no-libtorch \(IPW_LIBTORCH_DIR\) does not exist", list.Stdout);

        var profile = IpwProcess.Run(_work.Path, ["profile", "--client", "torchsharp", "--max-queries", "1"], env);
        Assert.Equal(2, profile.ExitCode);
        var line = Assert.Single(profile.Stderr.Trim().Split('\n'));
        Assert.Contains("client 'torchsharp' is not available here: the libtorch folder", line);
        Assert.False(Directory.Exists(_work.Combine("runs")));

        var available = IpwProcess.Run(_work.Path, ["list", "clients"]);
        Assert.Matches(@"torchsharp .*\n\s+from Ipw.Plugins.TorchSharp; available", available.Stdout);
    }

    [Fact]
    public void The_torch_load_shows_a_package_counter_that_follows_the_cores_and_one_that_does_not()
    {
        // Two RAPL stand-ins: one whose counter follows the machine's busy CPU time (as a package counter does), one flat.
        string following, flat;
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap-busy"), watts: 5, wattsPerBusyCpu: 15))
            following = LoadTest(rapl.Root);
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap-flat"), watts: 5))
            flat = LoadTest(rapl.Root);

        Assert.Contains("load: float32 matrix multiply 256 x 256 x 256", following);
        Assert.Matches(@"\[load \] t=", following);
        var gflops = double.Parse(Regex.Match(following, @"operations in [\d.]+ s, ([\d.]+) GFLOP/s").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(gflops > 0.5, $"the load ran at {gflops} GFLOP/s");
        // 15 W per busy core: one busy core adds about 15 W over the 5 W floor.
        var m = Regex.Match(following, @"rapl/rapl_package0_j\s+idle ([\d.]+), load ([\d.]+), after ([\d.]+) W: responds \(\+[\d.]+ W\); ([\d.eE+-]+) J per GFLOP above idle");
        Assert.True(m.Success, following);
        var idle = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var load = double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        // Idle is 5 W plus whatever else the machine runs then: the test host's own start-up (its JIT, the fake's writer
        // being tiered up) can keep half a core busy through the first idle second (measured: 0.89 busy cores, 18.5 W).
        Assert.True(idle is >= 4.5 and <= 20, following);
        Assert.True(load >= idle + 8 && load <= 45, following);
        Assert.Matches(@"system/process_cpu_s\s+idle [\d.]+, load [\d.]+, after [\d.]+ cpu-s/s: responds", following);

        // The flat counter reads 5 W in every phase, give or take its writer thread's lag at a phase's edges (a 20 ms
        // lag over a 2 s phase is 0.05 W), and is judged not to respond.
        var f = Regex.Match(flat, @"rapl/rapl_package0_j\s+idle ([\d.]+), load ([\d.]+), after ([\d.]+) W: did not respond");
        Assert.True(f.Success, flat);
        foreach (var g in new[] { 1, 2, 3 })
            Assert.InRange(double.Parse(f.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture), 4.8, 5.2);
    }

    private string LoadTest(string powercap)
    {
        var r = IpwProcess.Run(_work.Path, ["energy", "test", "--load", "torch", "--load-param", "size=256", "--load-param", "threads=1",
            "--phase", "2", "--interval", "1", "--backend", "rapl,system"], new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = powercap });
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return r.Stdout;
    }

    public void Dispose() => _work.Dispose();
}
