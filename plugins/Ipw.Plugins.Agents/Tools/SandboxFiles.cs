namespace Ipw.Plugins.Agents.Tools;

/// <summary>
/// The <c>read_file</c> tool: files of one folder and nothing else. A path is relative, with '/' between names; an
/// absolute path, a backslash, an empty name, '.' or '..' is refused before anything is looked up, so no path can reach
/// outside the folder. The folder is the workload's bundled files, or a folder on disk (whose resolved path, links
/// followed, must stay inside it).
/// </summary>
public sealed class SandboxFiles
{
    /// <summary>The most a read returns.</summary>
    public const int MaxBytes = 64 * 1024;

    private readonly IReadOnlyDictionary<string, string>? _bundled;
    private readonly string? _root;

    /// <summary>Bundled files, by their relative path.</summary>
    public SandboxFiles(IReadOnlyDictionary<string, string> bundled) => _bundled = bundled;

    /// <summary>A folder on disk.</summary>
    public SandboxFiles(string root) => _root = Path.GetFullPath(root);

    public string Run(string path)
    {
        var relative = Check(path.Trim());
        if (_bundled is not null)
            return _bundled.TryGetValue(relative, out var text) ? text : throw new ToolError($"no file '{relative}'");
        var full = Path.GetFullPath(Path.Combine(_root!, relative));
        var resolved = File.Exists(full) && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target ? target.FullName : full;
        if (!resolved.StartsWith(_root! + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new ToolError($"'{relative}' is outside the files");
        if (!File.Exists(resolved)) throw new ToolError($"no file '{relative}'");
        if (new FileInfo(resolved).Length > MaxBytes) throw new ToolError($"'{relative}' is larger than {MaxBytes / 1024} KiB");
        return File.ReadAllText(resolved);
    }

    private static string Check(string path)
    {
        if (path.Length == 0) throw new ToolError("read_file needs a path, e.g. warehouse/stock_q3.csv");
        if (path.StartsWith('/') || path.Contains('\\') || path.Contains(':'))
            throw new ToolError($"'{path}': give a relative path with '/' between names, e.g. warehouse/stock_q3.csv");
        if (path.Split('/').Any(part => part is "" or "." or ".."))
            throw new ToolError($"'{path}': '.', '..' and empty names are not allowed");
        return path;
    }
}
