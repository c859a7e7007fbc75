using System.Diagnostics.CodeAnalysis;
using Ipw.Abstractions;

namespace Ipw.Core.Plugins;

/// <summary>Named entries of one extension point. Names are case-insensitive and unique.</summary>
public sealed class Registry<T> where T : EntryDescriptor
{
    private readonly Dictionary<string, RegisteredEntry<T>> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>What users call this kind of entry, e.g. "client".</summary>
    public string Kind { get; }

    public Registry(string kind) => Kind = kind;

    public IReadOnlyCollection<RegisteredEntry<T>> Entries => _entries.Values;

    internal void Add(T descriptor, PluginIdentity plugin)
    {
        if (string.IsNullOrWhiteSpace(descriptor.Name))
            throw new InvalidOperationException($"a {Kind} with an empty name");
        if (_entries.TryGetValue(descriptor.Name, out var existing))
            throw new InvalidOperationException(
                $"{Kind} '{descriptor.Name}' is registered by both '{existing.Plugin.Name}' and '{plugin.Name}'");
        _entries.Add(descriptor.Name, new RegisteredEntry<T>(descriptor, plugin));
    }

    /// <summary>Looks up an entry the user named; an unknown name is a user error.</summary>
    public RegisteredEntry<T> Find(string name)
    {
        if (_entries.TryGetValue(name, out var entry)) return entry;
        var known = _entries.Count == 0 ? "none are registered" : "known: " + string.Join(", ", _entries.Keys.Order());
        throw new UserError($"unknown {Kind} '{name}' ({known}; see 'ipw list')");
    }
    /// <summary>Looks up an entry by name (case-insensitive), without checking its availability.</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out RegisteredEntry<T>? entry) => _entries.TryGetValue(name, out entry);

    /// <summary>Looks up an entry the user named; unknown or unavailable names are user errors.</summary>
    public RegisteredEntry<T> Resolve(string name)
    {
        var entry = Find(name);
        var availability = entry.Availability();
        if (!availability.IsAvailable)
            throw new UserError($"{Kind} '{name}' is not available here: {availability.Reason}");
        return entry;
    }
}
