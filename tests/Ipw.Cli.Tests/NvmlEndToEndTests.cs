using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary>The real binary with the NVML stand-in found on the loader's search path (LD_LIBRARY_PATH),
/// as a driver's library would be; these machines have no NVIDIA GPU.</summary>
public sealed class NvmlEndToEndTests : IDisposable
{
    private readonly TempDir _work = new();
    private static string StandinDir => Path.Combine(IpwProcess.RepoRoot, "artifacts", "native", "nvml-standin");

    [Fact]
    public void A_profile_with_an_nvidia_gpu_records_its_energy_power_memory_and_temperature()
    {
        Assert.True(File.Exists(Path.Combine(StandinDir, "libnvidia-ml.so.1")), "the NVML stand-in was not built");
        File.WriteAllLines(_work.Combine("gpu.conf"), ["devices=2", "name=NVIDIA H100 80GB HBM3", "power_low_mw=150000", "power_high_mw=150000",
            "energy_step_ms=10", "memory_used=3221225472", "temperature_c=63"]);
        var env = new Dictionary<string, string>
        {
            ["LD_LIBRARY_PATH"] = StandinDir,
            ["IPW_NVML_STANDIN_CONFIG"] = _work.Combine("gpu.conf"),
            ["CUDA_VISIBLE_DEVICES"] = "0,1",
            ["IPW_POWERCAP_ROOT"] = _work.Combine("no-rapl"),
        };
        // --gpus takes precedence over CUDA_VISIBLE_DEVICES: only GPU 1 counts.
        var r = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "5", "--max-tokens", "300", "--threads", "1", "--output-dir", "runs",
            "--dataset-option", "subjects=chat", "--gpus", "1"], env);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("energy from nvml:gpu1", r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        // The run is named after the GPU that counts, not the CPU.
        Assert.EndsWith("profile_1xnvidia-h100-80gb-hbm3_ipw-tiny", run);
        foreach (var row in ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray())
        {
            var seconds = row.GetProperty("e2e_latency_s").GetDouble();
            // One GPU counted (--gpus 1) at a steady 150 W; the counter steps every 10 ms.
            Assert.InRange(row.GetProperty("energy_j").GetDouble(), 150 * seconds - 3.5, 150 * seconds + 3.5);
            Assert.Equal("nvml:gpu1", row.GetProperty("energy_source").GetString());
            Assert.Equal(3221225472, row.GetProperty("gpu_memory_used_bytes").GetInt64());
            Assert.Equal(63, row.GetProperty("temperature_c").GetDouble());
            Assert.Equal(150, row.GetProperty("max_power_w").GetDouble()); // windows of ~0.15 s hold several 50 ms samples
        }
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var nvml = summary.RootElement.GetProperty("telemetry").GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "nvml");
        Assert.True(nvml.GetProperty("available").GetBoolean());
        Assert.Equal("NVIDIA H100 80GB HBM3", nvml.GetProperty("details").GetProperty("gpu1_name").GetString());
        Assert.Equal("NVIDIA H100 80GB HBM3", summary.RootElement.GetProperty("hardware").GetProperty("gpus")[0].GetString());
    }

    [Fact]
    public void A_cpu_and_gpu_run_shows_where_the_joules_went_device_by_device()
    {
        Assert.True(File.Exists(Path.Combine(StandinDir, "libnvidia-ml.so.1")), "the NVML stand-in was not built");
        File.WriteAllLines(_work.Combine("gpu.conf"), ["devices=1", "name=NVIDIA H100 80GB HBM3", "power_low_mw=150000", "power_high_mw=150000",
            "energy_step_ms=10"]);
        IpwProcess.Result r;
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap"), watts: 10))
        {
            r = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "4", "--max-tokens", "200", "--threads", "1", "--output-dir", "runs",
                "--dataset-option", "subjects=chat", "--baseline", "1s"], new Dictionary<string, string>
                {
                    ["LD_LIBRARY_PATH"] = StandinDir,
                    ["IPW_NVML_STANDIN_CONFIG"] = _work.Combine("gpu.conf"),
                    ["IPW_POWERCAP_ROOT"] = rapl.Root,
                });
        }
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var energy = summary.RootElement.GetProperty("energy");
        var counters = energy.GetProperty("by_counter").EnumerateArray().ToList();
        var devices = counters.Select(c => $"{c.GetProperty("source").GetString()}:{c.GetProperty("device").GetString()}").ToList();
        Assert.Equal(["nvml:gpu0", "rapl:cpu0"], devices.Order());
        // What each device draws: 150 W and 10 W, steady, so idle is the same and nothing is active above it.
        var watts = devices.Select(d => d.StartsWith("nvml", StringComparison.Ordinal) ? 150.0 : 10.0).ToArray();
        var idleBefore = energy.GetProperty("idle").GetProperty("before").GetProperty("by_counter_w").EnumerateArray().Select(w => w.GetDouble()).ToList();
        for (var d = 0; d < 2; d++)
        {
            Assert.Equal(watts[d], counters[d].GetProperty("idle_before_w").GetDouble(), watts[d] * 0.05);
            Assert.Equal(counters[d].GetProperty("idle_before_w").GetDouble(), idleBefore[d]);
        }
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        // Exported, DuckDB reads the same named entries: a Parquet list of structs, and JSON Lines' arrays of objects.
        foreach (var format in new[] { "parquet", "jsonl" })
        {
            var export = IpwProcess.Run(_work.Path, ["export", run, "--format", format, "--columns", "energy_by_device", "-o", "devices." + format]);
            Assert.True(export.ExitCode == 0, export.Stderr);
            var read = DuckDb.Read(_work.Combine("devices." + format), format).GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(rows.Count, read.Count);
            for (var i = 0; i < rows.Count; i++)
                Assert.Equal(rows[i].GetProperty("energy_by_device").GetRawText(), read[i].GetProperty("energy_by_device").GetRawText());
        }
        foreach (var row in rows)
        {
            Assert.Equal(string.Join("+", devices), row.GetProperty("energy_source").GetString());
            var entries = row.GetProperty("energy_by_device").EnumerateArray().ToList();
            // Each device named as its source names it, in summary.json's order; the parts add up to the totals exactly.
            Assert.Equal(counters.Select(c => c.GetProperty("device").GetString()), entries.Select(e => e.GetProperty("device").GetString()));
            var shares = entries.Select(e => e.GetProperty("energy_j").GetDouble()).ToList();
            var active = entries.Select(e => e.GetProperty("active_energy_j").GetDouble()).ToList();
            var power = entries.Select(e => e.GetProperty("avg_power_w").GetDouble()).ToList();
            Assert.Equal(row.GetProperty("energy_j").GetDouble(), shares[0] + shares[1]);
            Assert.Equal(row.GetProperty("active_energy_j").GetDouble(), active[0] + active[1]);
            Assert.Equal(row.GetProperty("avg_power_w").GetDouble(), power[0] + power[1]);
            var seconds = row.GetProperty("e2e_latency_s").GetDouble();
            for (var d = 0; d < 2; d++)
            {
                Assert.Equal(watts[d], power[d], watts[d] * 0.2);
                Assert.True(Math.Abs(active[d]) <= 0.1 * watts[d] * seconds + 0.05 * watts[d], $"device {devices[d]}: active {active[d]} J over {seconds} s");
            }
        }
    }

    [Fact]
    public void Without_a_driver_nvml_is_listed_as_unavailable_with_the_reason()
    {
        var r = IpwProcess.Run(_work.Path, ["list", "energy", "--json"]);
        using var doc = JsonDocument.Parse(r.Stdout);
        var nvml = doc.RootElement.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "nvml");
        if (File.Exists("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1")) return; // a machine with a real driver
        Assert.False(nvml.GetProperty("available").GetBoolean());
        Assert.Contains("libnvidia-ml.so.1 not found", nvml.GetProperty("reason").GetString());
    }

    [Fact]
    public void Without_rocm_amdsmi_is_listed_as_unavailable_with_the_reason()
    {
        var r = IpwProcess.Run(_work.Path, ["list", "energy", "--json"]);
        using var doc = JsonDocument.Parse(r.Stdout);
        var amd = doc.RootElement.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "amdsmi");
        if (File.Exists("/opt/rocm/lib/libamd_smi.so")) return; // a machine with ROCm
        Assert.False(amd.GetProperty("available").GetBoolean());
        Assert.Contains("libamd_smi.so not found", amd.GetProperty("reason").GetString());
    }

    public void Dispose() => _work.Dispose();
}
