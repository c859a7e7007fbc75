using Ipw.Abstractions;
using Ipw.Core;
using Ipw.Core.Hardware;
using Ipw.Core.Plugins;

namespace Ipw.Core.Tests;

public sealed class PluginHostTests
{
    [Fact]
    public void A_name_registered_twice_is_an_error_naming_both_plugins()
    {
        var registries = new PluginRegistries();
        var problems = new List<string>();
        var descriptor = new DatasetDescriptor("ipw", "one", _ => throw new NotSupportedException());
        registries.For(new PluginIdentity("First", "/a/First.dll", "1"), problems).AddDataset(descriptor);
        registries.For(new PluginIdentity("Second", "/b/Second.dll", "1"), problems).AddDataset(descriptor with { Description = "two" });
        var problem = Assert.Single(problems);
        Assert.Contains("'First'", problem);
        Assert.Contains("'Second'", problem);
        Assert.Equal("one", Assert.Single(registries.Datasets.Entries).Descriptor.Description);
    }

    [Fact]
    public void Missing_plugin_files_are_reported_and_loading_carries_on()
    {
        var dir = Directory.CreateTempSubdirectory("ipw-manifest-").FullName;
        File.WriteAllText(Path.Combine(dir, "plugins.json"), """
            { // comments are allowed
              "plugins": ["plugins/Nope/Nope.dll"],
              "dropInFolders": ["drop"]
            }
            """);
        Directory.CreateDirectory(Path.Combine(dir, "drop", "Empty"));
        var registries = PluginHost.Load(PluginManifest.Load(Path.Combine(dir, "plugins.json")));
        Assert.Contains(registries.Failures, f => f.Name == "Nope" && f.Reason.Contains("file not found"));
        Assert.Contains(registries.Failures, f => f.Name == "Empty" && f.Reason.Contains("no Empty.dll"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void An_assembly_without_a_plugin_type_is_reported()
    {
        var registries = new PluginRegistries();
        // Ipw.Abstractions.dll is a real assembly with no IIpwPlugin implementation.
        PluginHost.LoadOne(typeof(IIpwPlugin).Assembly.Location, registries);
        var failure = Assert.Single(registries.Failures);
        Assert.Contains("no public class implements IIpwPlugin", failure.Reason);
    }

    [Fact]
    public void Unknown_and_unavailable_entries_are_user_errors_that_say_why()
    {
        var registries = new PluginRegistries();
        registries.For(new PluginIdentity("P", "/p.dll", "1"), []).AddClient(
            new ClientDescriptor("gpu-only", "needs a GPU", _ => throw new NotSupportedException()) { CheckAvailability = () => Availability.No("no GPU here") });
        Assert.Contains("unknown client 'x'", Assert.Throws<UserError>(() => registries.Clients.Resolve("x")).Message);
        Assert.Contains("no GPU here", Assert.Throws<UserError>(() => registries.Clients.Resolve("gpu-only")).Message);
    }

    [Theory]
    [InlineData("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "intel-xeon-platinum-8375c")]
    [InlineData("AMD EPYC 7763 64-Core Processor", "amd-epyc-7763-64-core")]
    [InlineData("Apple M2 Max", "apple-m2-max")]
    [InlineData("llama3.2:1b", "llama3.2-1b")]
    [InlineData("../../etc/passwd", "etc-passwd")]
    [InlineData("", "unknown")]
    public void Labels_are_readable_and_safe_in_file_names(string name, string slug) => Assert.Equal(slug, HardwareInfo.Slug(name));
}
