namespace Ipw.Cli.Tests;

public sealed class EnergyTestCommandTests : IDisposable
{
    private readonly TempDir _work = new();

    [Fact]
    public void On_this_machine_system_works_and_every_missing_source_says_why()
    {
        var r = IpwProcess.Run(_work.Path, ["energy", "test", "--interval", "0.5", "--duration", "1.6"],
            new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = _work.Combine("none") });
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n');
        Assert.Equal(3, lines.Count(l => l.TrimStart().StartsWith("t=", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("process_rss_bytes=", StringComparison.Ordinal) && l.Contains("MiB", StringComparison.Ordinal));
        var verdicts = lines.SkipWhile(l => l != "verdicts:").Skip(1).Where(l => l.Length > 0).ToList();
        Assert.Contains(verdicts, v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^\s+system\s+works:"));
        Assert.Contains(verdicts, v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^\s+rapl\s+unavailable because no powercap tree"));
        Assert.Contains(verdicts, v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^\s+nvml\s+unavailable because libnvidia-ml.so.1 not found"));
        Assert.Contains(verdicts, v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^\s+amdsmi\s+unavailable because libamd_smi.so not found"));
        Assert.Contains(verdicts, v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^\s+powermetrics\s+unavailable because powermetrics exists on macOS only"));
        Assert.Contains(verdicts, v => v.Contains("lacks energy: /proc has no energy counter", StringComparison.Ordinal));
    }

    [Fact]
    public void A_working_energy_counter_is_shown_in_joules_and_watts()
    {
        string stdout;
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap"), watts: 25))
        {
            var r = IpwProcess.Run(_work.Path, ["energy", "test", "--interval", "0.5", "--duration", "1.6"],
                new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = rapl.Root });
            Assert.Equal(0, r.ExitCode);
            stdout = r.Stdout;
        }
        // Every tick shows the energy since the start and the power over the last interval: 25 W.
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(stdout, @"rapl: rapl_package0_j=\d+\.\d\dJ \(2[3-7]\.\dW\)").Count);
        Assert.Matches(@"\n\s+rapl\s+works: 1 of 1 metrics read \(energy; counter\)", stdout);
    }
    [Fact]
    public void The_self_test_script_says_whether_energy_is_measured_here()
    {
        var script = Path.Combine(IpwProcess.RepoRoot, "scripts", "test_energy_monitor.sh");
        var without = RunScript(script, _work.Combine("none"));
        Assert.Equal(1, without.ExitCode);
        Assert.Contains("energy: no backend measures energy here", without.Stdout);
        using var rapl = new FakeRaplCounter(_work.Combine("powercap"), watts: 12);
        var with = RunScript(script, rapl.Root);
        Assert.Equal(0, with.ExitCode);
        Assert.Contains("energy: measured on this machine", with.Stdout);
    }

    private static (int ExitCode, string Stdout) RunScript(string script, string powercap)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add("1");
        psi.ArgumentList.Add("0.5");
        psi.Environment["IPW_POWERCAP_ROOT"] = powercap;
        psi.Environment["IPW_CACHE_DIR"] = IpwProcess.CacheDir;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)));
        return (p.ExitCode, stdout.Result);
    }

    [Fact]
    public void A_bad_interval_is_a_one_line_error()
    {
        var r = IpwProcess.Run(_work.Path, ["energy", "test", "--interval", "0"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("ipw: error: --interval must be between 0 and 3600 seconds, got 0", r.Stderr.Trim());
    }

    public void Dispose() => _work.Dispose();
}
