using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary>Builds two third-party plugins outside the solution, against Ipw.Abstractions.dll only:
/// one that works (a dataset and a grader) and one that throws while registering.</summary>
public sealed class ThirdPartyPlugins : IDisposable
{
    public TempDir Work { get; } = new();
    public string DropIn => Work.Combine("drop-in");

    public ThirdPartyPlugins()
    {
        Build("Acme.IpwPlugin", """
            using Ipw.Abstractions;
            namespace Acme;
            public sealed class AcmePlugin : IIpwPlugin
            {
                public void Register(IPluginRegistry registry)
                {
                    registry.AddDataset(new DatasetDescriptor("acme-words", "three questions about words, from a drop-in plugin", _ => new Words()));
                    registry.AddGrader(new GraderDescriptor("acme-any", "any answer counts, from a drop-in plugin", _ => new AnyAnswer()));
                }
            }
            internal sealed class AnyAnswer : IGrader
            {
                public bool NeedsReference => false;
                public Grade Grade(string answer, string? reference) => new(true, 1, "any answer counts");
            }
            internal sealed class Words : IDataset
            {
                public string Identity => "acme-words@1";
                public int? Count => 3;
                public IEnumerable<WorkloadItem> Items(CancellationToken ct = default)
                {
                    string[] words = ["kettle", "lantern", "meadow"];
                    for (var i = 0; i < words.Length; i++)
                        yield return new WorkloadItem($"acme-{i}", [new ChatMessage("user", $"How many letters are in '{words[i]}'? Answer with the number only.")],
                            words[i].Length.ToString(), i == 2 ? "acme-any" : "numeric", "spelling", new Dictionary<string, string>());
                }
            }
            """);
        Build("Broken.IpwPlugin", """
            using Ipw.Abstractions;
            namespace Broken;
            public sealed class BrokenPlugin : IIpwPlugin
            {
                public void Register(IPluginRegistry registry) => throw new InvalidOperationException("boom: the broken plugin refuses to register");
            }
            """);
    }

    private void Build(string name, string code)
    {
        var src = Work.Combine("src", name);
        Directory.CreateDirectory(src);
        var abstractions = Path.Combine(IpwProcess.BinaryDir, "Ipw.Abstractions.dll");
        File.WriteAllText(Path.Combine(src, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <EnableDynamicLoading>true</EnableDynamicLoading>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="Ipw.Abstractions"><HintPath>{abstractions}</HintPath><Private>false</Private></Reference>
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(src, "Plugin.cs"), code);
        IpwProcess.RunTool("dotnet", src, "build", "-c", "Release", "-o", Path.Combine(DropIn, name), "-nologo", "-v", "q");
    }

    public void Dispose() => Work.Dispose();
}

public sealed class DropInPluginTests(ThirdPartyPlugins plugins) : IClassFixture<ThirdPartyPlugins>
{
    private Dictionary<string, string> Env => new() { ["IPW_PLUGIN_PATH"] = plugins.DropIn };

    [Fact]
    public void A_drop_in_plugin_is_listed_with_its_origin()
    {
        var r = IpwProcess.Run(plugins.Work.Path, ["list", "datasets", "--json"], Env);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var acme = doc.RootElement.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "acme-words");
        Assert.Equal("Acme.IpwPlugin", acme.GetProperty("plugin").GetString());
        Assert.True(acme.GetProperty("available").GetBoolean());
    }

    [Fact]
    public void A_drop_in_dataset_is_usable_by_profile()
    {
        var r = IpwProcess.Run(plugins.Work.Path,
            ["profile", "--dataset", "acme-words", "--max-tokens", "4", "--threads", "1", "--warmup", "0", "--output-dir", "runs"], Env);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var run = Directory.GetDirectories(Path.Combine(plugins.Work.Path, "runs")).Single();
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["acme-0", "acme-1", "acme-2"], rows.Select(x => x.GetProperty("item_id").GetString()));
        Assert.All(rows, x => Assert.Equal("acme-words", x.GetProperty("dataset").GetString()));
        // The drop-in grader grades its item when the query completes, like a built-in one.
        Assert.Equal("acme-any: any answer counts", rows[2].GetProperty("grade_explanation").GetString());
        Assert.True(rows[2].GetProperty("correct").GetBoolean());
        Assert.StartsWith("numeric: ", rows[0].GetProperty("grade_explanation").GetString());
    }

    [Fact]
    public void A_drop_in_grader_is_listed_with_the_built_in_ones()
    {
        var r = IpwProcess.Run(plugins.Work.Path, ["list", "graders", "--json"], Env);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var graders = doc.RootElement.GetProperty("entries").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("plugin").GetString());
        Assert.Equal("Acme.IpwPlugin", graders["acme-any"]);
        Assert.Equal("Ipw.Plugins.Graders", graders["numeric"]);
    }

    [Fact]
    public void A_plugin_that_throws_while_registering_is_reported_by_name_path_and_reason_and_the_rest_still_load()
    {
        var r = IpwProcess.Run(plugins.Work.Path, ["list", "--json"], Env);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var failure = doc.RootElement.GetProperty("failures").EnumerateArray().Single();
        Assert.Equal("Broken.IpwPlugin", failure.GetProperty("name").GetString());
        Assert.EndsWith("Broken.IpwPlugin.dll", failure.GetProperty("path").GetString());
        Assert.Contains("boom", failure.GetProperty("reason").GetString());
        var names = doc.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("acme-words", names);
        Assert.Contains("llamasharp", names);

        var human = IpwProcess.Run(plugins.Work.Path, ["list"], Env);
        Assert.Equal(0, human.ExitCode);
        Assert.Contains("ipw: warning: plugin Broken.IpwPlugin", human.Stderr);
        Assert.DoesNotContain("   at ", human.Stderr);
    }
}
