using Ipw.Core.Plugins;

namespace Ipw.Cli;

/// <summary>Loads the plugins for a command and warns about the ones that failed (the command carries on).</summary>
internal static class PluginLoading
{
    public static PluginRegistries Load(bool warn = true)
    {
        var registries = PluginHost.Load(PluginManifest.LoadDefault());
        if (warn)
        {
            foreach (var f in registries.Failures)
                Console.Error.WriteLine($"ipw: warning: plugin {f.Name} ({f.Path}) was not loaded: {f.Reason}");
        }
        return registries;
    }
}
