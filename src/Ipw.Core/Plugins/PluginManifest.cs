using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ipw.Core.Plugins;

/// <summary>plugins.json: the plugin assemblies the host loads and the drop-in folders it scans.
/// Relative paths are relative to the manifest; "~" is the user's home folder.</summary>
public sealed class PluginManifest
{
    [JsonPropertyName("plugins")]
    public List<string> Plugins { get; set; } = [];

    [JsonPropertyName("dropInFolders")]
    public List<string> DropInFolders { get; set; } = [];

    /// <summary>The manifest's folder, against which relative paths resolve.</summary>
    [JsonIgnore]
    public string BaseDirectory { get; set; } = AppContext.BaseDirectory;

    /// <summary>Environment variable with extra drop-in folders (path-separator separated).</summary>
    public const string PluginPathVariable = "IPW_PLUGIN_PATH";

    /// <summary>Environment variable naming another plugins.json.</summary>
    public const string ManifestVariable = "IPW_PLUGINS_JSON";

    public static PluginManifest Load(string path)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllText(path),
                new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                ?? new PluginManifest();
            manifest.BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            return manifest;
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not a valid plugins.json ({e.Message})");
        }
    }

    /// <summary>The manifest the host reads: IPW_PLUGINS_JSON's, else plugins.json beside the host: beside the executable
    /// for a single-file ipw (whose AppContext.BaseDirectory is where its bundle was extracted), else beside ipw.dll.</summary>
    public static string DefaultPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable(ManifestVariable) is { Length: > 0 } path) return path;
            var besideExecutable = Path.Combine(Path.GetDirectoryName(Environment.ProcessPath) ?? AppContext.BaseDirectory, "plugins.json");
            return File.Exists(besideExecutable) ? besideExecutable : Path.Combine(AppContext.BaseDirectory, "plugins.json");
        }
    }

    /// <summary>The manifest named by IPW_PLUGINS_JSON, else plugins.json beside the host.</summary>
    public static PluginManifest LoadDefault()
    {
        var path = DefaultPath;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ManifestVariable)) && !File.Exists(path))
            throw new UserError($"{ManifestVariable}={path}: file not found");
        return File.Exists(path) ? Load(path) : new PluginManifest();
    }

    /// <summary>Absolute paths of the listed plugin assemblies.</summary>
    public IEnumerable<string> PluginPaths() => Plugins.Select(Resolve);

    /// <summary>Absolute drop-in folders: the manifest's, then IPW_PLUGIN_PATH's.</summary>
    public IEnumerable<string> Folders()
    {
        foreach (var folder in DropInFolders) yield return Resolve(folder);
        var extra = Environment.GetEnvironmentVariable(PluginPathVariable);
        if (string.IsNullOrEmpty(extra)) yield break;
        foreach (var folder in extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            yield return Resolve(folder);
    }

    private string Resolve(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.TrimStart('~', '/'));
        return Path.GetFullPath(path, BaseDirectory);
    }
}
