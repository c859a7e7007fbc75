using Ipw.Abstractions;

namespace Ipw.Plugins.TorchSharp.Tests;

/// <summary>
/// Points the plugin at the libtorch installed by the README's test command (the plugin built with -p:IpwLibTorch=cpu,
/// into artifacts/Release/plugins/Ipw.Plugins.TorchSharp/libtorch) and gives the tests a private ipw cache. A missing
/// libtorch fails the tests with the command that installs it.
/// </summary>
internal static class TorchFixture
{
    private static readonly Lazy<string> Loaded = new(() =>
    {
        if (Environment.GetEnvironmentVariable("IPW_LIBTORCH_DIR") is not { Length: > 0 })
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ipw.sln"))) dir = dir.Parent;
            var root = dir?.FullName ?? throw new InvalidOperationException("the repository root (Ipw.sln) was not found above the test folder");
            var libtorch = Path.Combine(root, "artifacts", "Release", "plugins", "Ipw.Plugins.TorchSharp", "libtorch");
            if (!Directory.Exists(libtorch))
                throw new InvalidOperationException($"libtorch is not installed at {libtorch}: run dotnet build Ipw.sln -c Release -p:IpwLibTorch=cpu (scripts/test.sh does)");
            Environment.SetEnvironmentVariable("IPW_LIBTORCH_DIR", libtorch);
        }
        var cache = Directory.CreateTempSubdirectory("ipw-torch-tests-").FullName;
        Environment.SetEnvironmentVariable("IPW_CACHE_DIR", cache);
        TorchNatives.EnsureLoaded();
        global::TorchSharp.torch.set_num_threads(1);
        return cache;
    });

    /// <summary>Loads libtorch once per test process; returns the private cache folder.</summary>
    public static string Ensure() => Loaded.Value;

    /// <summary>A fresh folder under the private cache.</summary>
    public static string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Ensure(), $"{name}-{Guid.NewGuid():N}")).FullName;

    public static ClientOptions Options(string? model, params (string Key, string Value)[] settings) =>
        new(model, null, settings.ToDictionary(s => s.Key, s => s.Value));
}
