using System.Text.Json;

using Ipw.Cli.Tests;

namespace Ipw.Packaging.Tests;

/// <summary>The plugin author's whole path: Ipw.Abstractions and Ipw.Templates packed into a feed of their own, the
/// template installed, a plugin of every kind made by <c>dotnet new ipw-plugin</c>, built against the packed
/// Abstractions, dropped in, listed by the real ipw and used in a run, an analysis, a figure and a rescoring.</summary>
public sealed class PluginSdkTests : IDisposable
{
    private readonly TempDir _work = new();
    private static readonly string[] Kinds = ["client", "dataset", "telemetry", "analysis", "visualization", "grader"];
    private readonly Tools _tools;

    public PluginSdkTests() => _tools = new Tools(_work);

    private string Dotnet(string workDir, params string[] args) => _tools.Isolated(workDir, args);

    private static string Entry(string kind) => "acme" + kind;

    [Fact]
    public void A_plugin_of_every_kind_from_the_template_builds_against_the_packed_sdk_and_works_in_ipw()
    {
        var feed = _work.Combine("feed");
        var version = "0.1.0-test." + Guid.NewGuid().ToString("N")[..8];
        foreach (var project in new[] { "src/Ipw.Abstractions", "src/Ipw.Templates" }) _tools.Pack(project, feed, version);
        var src = Directory.CreateDirectory(_work.Combine("src")).FullName;
        Tools.FeedConfig(src, feed);

        Dotnet(src, "new", "install", Path.Combine(feed, $"Ipw.Templates.{version}.nupkg"));
        Dotnet(src, "new", "sln", "-n", "Acme");
        foreach (var kind in Kinds)
        {
            var name = "Acme" + char.ToUpperInvariant(kind[0]) + kind[1..];
            Dotnet(src, "new", "ipw-plugin", "--kind", kind, "-n", name); // the contract of the template's own version
            Assert.Contains($"Version=\"{version}\"", File.ReadAllText(Path.Combine(src, name, name + ".csproj")));
            Assert.DoesNotContain("#if", File.ReadAllText(Path.Combine(src, name, "Plugin.cs")));
            Assert.Equal(new[] { name[4..] + ".cs", "Plugin.cs" }.Order(StringComparer.Ordinal), Directory.GetFiles(Path.Combine(src, name), "*.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Dotnet(src, "sln", "add", Path.Combine(name, name + ".csproj"));
        }
        Dotnet(src, "build", "Acme.slnx", "-c", "Release", "-nologo", "-v", "quiet");
        var dropIn = _work.Combine("drop-in");
        foreach (var kind in Kinds)
        {
            var name = "Acme" + char.ToUpperInvariant(kind[0]) + kind[1..];
            var output = Path.Combine(src, name, "bin", "Release", "net10.0");
            Assert.False(File.Exists(Path.Combine(output, "Ipw.Abstractions.dll")), "the contract is the host's: never copied beside a plugin");
            Directory.CreateDirectory(Path.Combine(dropIn, name));
            foreach (var file in Directory.GetFiles(output)) File.Copy(file, Path.Combine(dropIn, name, Path.GetFileName(file)));
        }

        var env = new Dictionary<string, string> { ["IPW_PLUGIN_PATH"] = dropIn };
        IpwProcess.Result Ipw(params string[] args)
        {
            var r = IpwProcess.Run(_work.Path, args, env);
            Assert.True(r.ExitCode == 0, $"ipw {string.Join(' ', args)}: {r.Stderr}{r.Stdout}");
            return r;
        }
        using (var list = JsonDocument.Parse(Ipw("list", "all", "--json").Stdout))
        {
            Assert.Empty(list.RootElement.GetProperty("failures").EnumerateArray());
            var entries = list.RootElement.GetProperty("entries").EnumerateArray().ToList();
            foreach (var kind in Kinds)
            {
                var entry = Assert.Single(entries, e => e.GetProperty("name").GetString() == Entry(kind));
                Assert.Equal("Acme" + char.ToUpperInvariant(kind[0]) + kind[1..], entry.GetProperty("plugin").GetString());
                Assert.True(entry.GetProperty("available").GetBoolean());
            }
        }

        var run = Ipw("profile", "--client", Entry("client"), "--dataset", Entry("dataset"), "--energy", Entry("telemetry"), "--warmup", "0",
            "--max-tokens", "8", "--baseline", "0", "--json", "-o", "runs");
        using (var summary = JsonDocument.Parse(run.Stdout))
        {
            Assert.Equal(3, summary.RootElement.GetProperty("counts").GetProperty("ok").GetInt32());
            var source = summary.RootElement.GetProperty("telemetry").GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == Entry("telemetry"));
            Assert.True(source.GetProperty("available").GetBoolean());
        }
        var folder = Assert.Single(Directory.GetDirectories(_work.Combine("runs")));
        Assert.Contains("3 queries  mean e2e", Ipw("analyze", folder, "--analysis", Entry("analysis")).Stdout);
        Assert.True(File.Exists(Path.Combine(folder, "analysis", "acmeanalysis.json")));
        Ipw("plot", folder, "--visualization", Entry("visualization"), "--output", "figures");
        Assert.Single(Directory.GetFiles(_work.Combine("figures"), "acmevisualization_*.svg"));
        Ipw("score", folder, "--grader", Entry("grader"));
        using var rescored = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        Assert.Equal(3, rescored.RootElement.GetProperty("intelligence").GetProperty("graded").GetInt32());
    }

    public void Dispose() => _work.Dispose();
}
