using System.Reflection;
using Ipw.Abstractions;
using McMaster.NETCore.Plugins;

namespace Ipw.Core.Plugins;

/// <summary>
/// Loads plugin assemblies, each into its own load context, and lets every <see cref="IIpwPlugin"/> in them register.
/// The context prefers the host's copy of any assembly the host has loaded or can load (Ipw.Abstractions, the .NET
/// libraries, the host's packages), so plugin and host share those types; what the host lacks comes from the
/// plugin's folder (docs/plugins.md). Built-in plugins load exactly
/// like drop-ins. A plugin that fails is recorded with its name, path and reason; the host carries on.
/// </summary>
public static class PluginHost
{
    /// <summary>Loads everything the manifest names, then every plugin in the drop-in folders.</summary>
    public static PluginRegistries Load(PluginManifest manifest)
    {
        var registries = new PluginRegistries();
        foreach (var path in manifest.PluginPaths()) LoadOne(path, registries);
        foreach (var folder in manifest.Folders())
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var path in DropIns(folder, registries)) LoadOne(path, registries);
        }
        return registries;
    }

    /// <summary>A drop-in folder holds one sub-folder per plugin, <c>Name/Name.dll</c> beside its dependencies;
    /// a folder that is itself such a plugin folder also works.</summary>
    private static IEnumerable<string> DropIns(string folder, PluginRegistries registries)
    {
        var own = Path.Combine(folder, Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)) + ".dll");
        if (File.Exists(own))
        {
            yield return own;
            yield break;
        }
        foreach (var sub in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(sub);
            var dll = Path.Combine(sub, name + ".dll");
            if (File.Exists(dll)) yield return dll;
            else registries.Failures.Add(new PluginFailure(name, sub, $"no {name}.dll in the plugin folder"));
        }
    }

    internal static void LoadOne(string path, PluginRegistries registries)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        if (registries.Loaded.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            var first = registries.Loaded.First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            registries.Failures.Add(new PluginFailure(name, path, $"a plugin named {name} is already loaded from {first.Path}"));
            return;
        }
        if (!File.Exists(path))
        {
            registries.Failures.Add(new PluginFailure(name, path, "file not found (is the solution built?)"));
            return;
        }

        try
        {
            // Engine plugins hold native libraries, which never unload: keep contexts non-collectible.
            var loader = PluginLoader.CreateFromAssemblyFile(path, [typeof(IIpwPlugin)], config => config.PreferSharedTypes = true);
            var assembly = loader.LoadDefaultAssembly();
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                ?? assembly.GetName().Version?.ToString() ?? "unknown";
            var identity = new PluginIdentity(name, path, version);
            var pluginTypes = ExportedPluginTypes(assembly);
            if (pluginTypes.Count == 0)
            {
                registries.Failures.Add(new PluginFailure(name, path, "no public class implements IIpwPlugin"));
                return;
            }

            var problems = new List<string>();
            foreach (var type in pluginTypes)
            {
                var plugin = (IIpwPlugin)Activator.CreateInstance(type)!;
                plugin.Register(registries.For(identity, problems));
            }
            registries.Loaded.Add(identity);
            foreach (var problem in problems) registries.Failures.Add(new PluginFailure(name, path, problem));
        }
        catch (Exception e)
        {
            registries.Failures.Add(new PluginFailure(name, path, Describe(e)));
        }
    }

    private static List<Type> ExportedPluginTypes(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.Where(t => t is not null).ToArray()!;
        }
        return types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IIpwPlugin).IsAssignableFrom(t)).ToList();
    }

    private static string Describe(Exception e)
    {
        while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        if (e is ReflectionTypeLoadException rtle && rtle.LoaderExceptions.FirstOrDefault(x => x is not null) is { } first)
            e = first;
        return $"{e.GetType().Name}: {e.Message}";
    }
}
