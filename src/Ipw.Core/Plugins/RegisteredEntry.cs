using Ipw.Abstractions;

namespace Ipw.Core.Plugins;

/// <summary>A registry entry with the plugin it came from.</summary>
public sealed record RegisteredEntry<T>(T Descriptor, PluginIdentity Plugin) where T : EntryDescriptor
{
    public string Name => Descriptor.Name;

    /// <summary>Evaluates availability (by <paramref name="check"/> when given, e.g. one that knows the run's options, else
    /// the descriptor's own); a check that throws makes the entry unavailable, with the reason.</summary>
    public Availability Availability(Func<Availability>? check = null)
    {
        try
        {
            return (check ?? Descriptor.CheckAvailability)();
        }
        catch (Exception e)
        {
            return Ipw.Abstractions.Availability.No($"availability check failed: {e.Message}");
        }
    }
}

/// <summary>Which plugin assembly an entry came from.</summary>
public sealed record PluginIdentity(string Name, string Path, string Version);

/// <summary>A plugin that could not be loaded or registered; the host carries on without it.</summary>
public sealed record PluginFailure(string Name, string Path, string Reason);
