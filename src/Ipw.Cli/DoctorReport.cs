using System.Reflection;
using System.Runtime.InteropServices;
using Ipw.Abstractions;
using Ipw.Core.Hardware;
using Ipw.Core.Plugins;
using Ipw.Core.Telemetry;

namespace Ipw.Cli;

/// <summary>What <c>ipw doctor</c> reports, gathered once from the parts of ipw that already know it: the version
/// <c>ipw --version</c> prints, <see cref="HardwareInfo"/> (as summary.json names the machine), the plugin host's loaded
/// plugins and failures (as <c>ipw list</c> shows them), <see cref="MachineCapabilities"/> (the probes a run makes) and
/// <see cref="IpwCache"/>.</summary>
internal sealed record DoctorReport(
    string Version,
    string? Commit,
    string? Binary,
    string Runtime,
    string Rid,
    HardwareInfo Machine,
    string Manifest,
    IReadOnlyList<string> DropInFolders,
    IReadOnlyList<PluginIdentity> Plugins,
    IReadOnlyList<PluginFailure> PluginFailures,
    MachineCapabilities Capabilities,
    string CacheFolder,
    string CacheFrom,
    IReadOnlyList<string>? CacheContents)
{
    public static DoctorReport Gather()
    {
        var informational = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+');
        var manifest = PluginManifest.LoadDefault();
        var registries = PluginHost.Load(manifest);
        var capabilities = MachineCapabilities.Probe(registries, TelemetrySources.Options(null));
        var cache = IpwCache.Root;
        return new DoctorReport(
            plus < 0 ? informational : informational[..plus],
            plus < 0 ? null : informational[(plus + 1)..],
            Environment.ProcessPath,
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.RuntimeIdentifier,
            HardwareInfo.Detect(capabilities.Gpus),
            PluginManifest.DefaultPath,
            manifest.Folders().ToList(),
            registries.Loaded,
            registries.Failures,
            capabilities,
            cache,
            CacheOrigin(),
            Contents(cache));
    }

    /// <summary>Where <see cref="IpwCache.Root"/> came from, in its own order.</summary>
    private static string CacheOrigin() =>
        Environment.GetEnvironmentVariable("IPW_CACHE_DIR") is { Length: > 0 } ? "IPW_CACHE_DIR"
        : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } ? "XDG_CACHE_HOME"
        : "the home folder (IPW_CACHE_DIR overrides it)";

    /// <summary>The names at the top of <paramref name="folder"/>; null when it does not exist yet. Not its size: the cache
    /// may hold a chroot with /proc mounted in it (scripts/servers/llamacpp.sh), which is no place to walk.</summary>
    private static List<string>? Contents(string folder)
    {
        try
        {
            return Directory.Exists(folder) ? Directory.EnumerateFileSystemEntries(folder).Select(e => Path.GetFileName(e)).Order(StringComparer.Ordinal).ToList() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [$"(unreadable: {e.Message})"];
        }
    }
}
