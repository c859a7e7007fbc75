using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ipw.Cli.Tests;

/// <summary><c>ipw doctor</c> through the real binary: every section, the same facts as <c>ipw --version</c> and
/// <c>ipw list energy</c>, and what a run here can measure.</summary>
public sealed class DoctorTests : IDisposable
{
    private readonly TempDir _work = new();

    /// <summary>No RAPL, whatever the machine has: the report is then the same everywhere these tests run.</summary>
    private Dictionary<string, string> NoRapl => new() { ["IPW_POWERCAP_ROOT"] = _work.Combine("no-powercap") };

    [Fact]
    public void The_report_has_every_section_and_says_why_energy_is_not_measured_here()
    {
        var r = IpwProcess.Run(_work.Path, ["doctor"], NoRapl);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal("", r.Stderr);
        var lines = r.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        foreach (var heading in new[] { "ipw", "runtime", "machine", "cache", "energy backends", "what a run on this machine can measure" })
            Assert.Contains(heading, lines);
        Assert.Contains(lines, l => l.StartsWith("plugins (from ", StringComparison.Ordinal) && l.EndsWith("plugins.json)", StringComparison.Ordinal));

        // The version and commit ipw --version prints.
        var version = IpwProcess.Run(_work.Path, ["--version"]).Stdout.Trim().Split('+');
        Assert.Contains($"  version  {version[0]} (commit {version[1]})", lines);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  RID\s+[a-z]+-[a-z0-9]+$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  \.NET\s+\.NET 10\."));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  CPU\s+.+, \d+ logical cores$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  folder\s+" + Regex.Escape(IpwProcess.CacheDir) + "$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  from\s+IPW_CACHE_DIR$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  Ipw\.Plugins\.Energy\s+\S+\s+plugins/Ipw\.Plugins\.Energy/Ipw\.Plugins\.Energy\.dll$"));

        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  rapl\s+no \s+unavailable: no powercap tree at "));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  nvml\s+no \s+unavailable: libnvidia-ml\.so\.1 not found"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  system\s+yes\s+works: "));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  prometheus\s+no \s+unavailable: .*\(used only when named: --energy prometheus\)$"));

        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  latency\s+yes\s+TTFT"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  tokens\s+yes\s+"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  energy\s+no \s+not measured \(system: /proc has no energy counter.*rapl: unavailable, above\)$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  gpu memory\s+no \s+not measured \("));
    }

    [Fact]
    public void The_json_parses_and_names_every_registered_energy_backend_with_a_reason_when_unavailable()
    {
        var r = IpwProcess.Run(_work.Path, ["doctor", "--json"], NoRapl);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(["ipw", "runtime", "machine", "cache", "plugins", "energy_backends", "measures"], root.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("ipw").GetProperty("commit").GetString()));
        Assert.Equal(10, root.GetProperty("plugins").GetProperty("loaded").GetArrayLength());
        Assert.Empty(root.GetProperty("plugins").GetProperty("failures").EnumerateArray());

        using var listed = JsonDocument.Parse(IpwProcess.Run(_work.Path, ["list", "energy", "--json"], NoRapl).Stdout);
        var registered = listed.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).Order().ToList();
        var backends = root.GetProperty("energy_backends").EnumerateArray().ToList();
        Assert.Equal(registered, backends.Select(b => b.GetProperty("name").GetString()!).Order());
        foreach (var b in backends)
        {
            if (b.GetProperty("available").GetBoolean()) continue;
            Assert.False(string.IsNullOrWhiteSpace(b.GetProperty("reason").GetString()), $"{b.GetProperty("name")} is unavailable without a reason");
        }
        Assert.True(backends.Single(b => b.GetProperty("name").GetString() == "system").GetProperty("available").GetBoolean());

        var measures = root.GetProperty("measures").EnumerateArray().ToDictionary(m => m.GetProperty("what").GetString()!);
        Assert.True(measures["latency"].GetProperty("measured").GetBoolean());
        var energy = measures["energy"];
        Assert.False(energy.GetProperty("measured").GetBoolean());
        // The reason a run's records give in energy_missing_reason.
        Assert.StartsWith("no energy counter on this machine (", energy.GetProperty("reason").GetString());
        Assert.Contains("rapl: no powercap tree at ", energy.GetProperty("reason").GetString());
    }

    [Fact]
    public void A_gpu_and_an_energy_counter_are_what_a_run_measures_with()
    {
        var standin = Path.Combine(IpwProcess.RepoRoot, "artifacts", "native", "nvml-standin");
        Assert.True(File.Exists(Path.Combine(standin, "libnvidia-ml.so.1")), "the NVML stand-in was not built");
        File.WriteAllLines(_work.Combine("gpu.conf"), ["devices=1", "name=NVIDIA H100 80GB HBM3", "memory_used=3221225472", "temperature_c=63"]);
        using var rapl = new FakeRaplCounter(_work.Combine("powercap"), watts: 25);
        var r = IpwProcess.Run(_work.Path, ["doctor", "--json"], new Dictionary<string, string>
        {
            ["LD_LIBRARY_PATH"] = standin,
            ["IPW_NVML_STANDIN_CONFIG"] = _work.Combine("gpu.conf"),
            ["IPW_POWERCAP_ROOT"] = rapl.Root,
        });
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var measures = doc.RootElement.GetProperty("measures").EnumerateArray().ToDictionary(m => m.GetProperty("what").GetString()!);
        string[] Sources(string what) => measures[what].GetProperty("sources").EnumerateArray().Select(s => s.GetString()!).ToArray();
        Assert.True(measures["energy"].GetProperty("measured").GetBoolean());
        Assert.Contains("nvml:gpu0", Sources("energy"));
        Assert.Contains(Sources("energy"), s => s.StartsWith("rapl:", StringComparison.Ordinal));
        Assert.Equal(JsonValueKind.Null, measures["energy"].GetProperty("reason").ValueKind);
        Assert.Equal(["nvml:gpu0"], Sources("gpu memory"));
        Assert.Contains("nvml:gpu0", Sources("temperature"));
        Assert.Equal(["NVIDIA H100 80GB HBM3"], doc.RootElement.GetProperty("machine").GetProperty("gpus").EnumerateArray().Select(g => g.GetString()));
    }

    [Fact]
    public void A_plugin_that_fails_to_load_is_named_with_its_reason()
    {
        var dropIn = _work.Combine("drop-in", "Broken.Plugin");
        Directory.CreateDirectory(dropIn);
        File.WriteAllText(Path.Combine(dropIn, "Broken.Plugin.dll"), "not an assembly");
        var env = NoRapl;
        env["IPW_PLUGIN_PATH"] = _work.Combine("drop-in");
        var r = IpwProcess.Run(_work.Path, ["doctor"], env);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Matches(@"\n  Broken\.Plugin\s+FAILED to load: .+\(.+Broken\.Plugin\.dll\)\r?\n", r.Stdout);
        Assert.Matches(@"\n  drop-in folder\s+" + Regex.Escape(_work.Combine("drop-in")) + @"\r?\n", r.Stdout);
    }

    public void Dispose() => _work.Dispose();
}
