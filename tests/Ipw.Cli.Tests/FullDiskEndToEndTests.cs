using System.Text.Json;
using Ipw.Tests;

namespace Ipw.Cli.Tests;

/// <summary>The real binary on a real small filesystem (tmpfs): a full disk is one clear error, exit 1, and loses nothing
/// that was written.</summary>
public sealed class FullDiskEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();

    private IpwProcess.Result Profile(string outputDir, int queries) =>
        IpwProcess.Run(_work.Path, ["profile", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", fixture.Server.BaseUrl.ToString(),
            "--max-queries", queries.ToString(), "--max-tokens", "32", "--output-dir", outputDir, "--progress", "plain", "--warmup", "0"]);

    [Fact]
    public void A_full_disk_when_the_run_starts_is_one_line_exit_1_and_no_folders()
    {
        using var disk = new SmallDisk(8);
        var r = Profile(disk.Path, 3);
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("ipw: error: no space left on device at ", lines[0]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(disk.Path));
    }

    [Fact]
    public void A_disk_that_fills_mid_run_keeps_every_record_written_and_repair_makes_it_readable()
    {
        fixture.Server.Behaviour = new Ipw.TestServer.Behaviour();
        using var disk = new SmallDisk(1024);
        disk.Fill(kibLeft: 160);
        var r = Profile(disk.Path, 5000);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("ipw: error: no space left on device at ", r.Stderr);
        Assert.DoesNotContain("internal error", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        var folder = Directory.GetDirectories(disk.Path).Single();
        var rows = ArrowJs.Read(Path.Combine(folder, "data-00000-of-00001.arrow")).GetProperty("numRows").GetInt32();
        Assert.InRange(rows, 1, 4999);
        Assert.Contains($"the {rows} records written are kept", r.Stderr);

        disk.Free();
        var repair = IpwProcess.Run(_work.Path, ["repair", folder]);
        Assert.True(repair.ExitCode == 0, repair.Stderr);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))))
        {
            Assert.Contains(doc.RootElement.GetProperty("status").GetString(), new[] { "failed", "interrupted" });
            Assert.Equal(rows, doc.RootElement.GetProperty("counts").GetProperty("queries").GetInt32());
        }
        var analyze = IpwProcess.Run(_work.Path, ["analyze", folder]);
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
