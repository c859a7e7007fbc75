using System.IO.Enumeration;
using Ipw.Core.Profiling;
using Ipw.Core.Runs;

namespace Ipw.Core.Analysis;

/// <summary>
/// Turns command-line arguments into run folders: a run folder, a glob (<c>./runs/profile_*</c>, for shells that pass
/// it through unexpanded), or a sweep folder (its points, in sweep order). Anything else is a clear error.
/// </summary>
public static class RunInputs
{
    /// <summary>The run folders named by <paramref name="arguments"/>, each once, in order. Among several arguments
    /// (a shell's expansion of <c>runs/*</c>), a file or a folder that is not a run, such as <c>runs/comparison.json</c>,
    /// is skipped and named to <paramref name="skipped"/>; one argument alone must be a run.</summary>
    /// <exception cref="UserError">An argument names nothing, or a folder that is neither a run nor a sweep.</exception>
    public static IReadOnlyList<string> Resolve(IReadOnlyList<string> arguments, Action<string>? skipped = null)
    {
        var runs = new List<string>();
        foreach (var argument in arguments)
        {
            var paths = argument.IndexOfAny(['*', '?']) >= 0 ? Glob(argument) : [argument];
            var before = runs.Count;
            foreach (var path in paths)
            {
                if (arguments.Count > 1 && File.Exists(path))
                {
                    skipped?.Invoke($"'{path}' is a file, not a run folder");
                    continue;
                }
                if (arguments.Count > 1 && Directory.Exists(path) && !IsRunOrSweep(path))
                {
                    skipped?.Invoke($"'{path}' is not a run folder");
                    continue;
                }
                runs.AddRange(Expand(path, argument));
            }
            if (runs.Count == before && arguments.Count == 1) throw new UserError($"'{argument}' matches no run folder");
        }
        if (runs.Count == 0) throw new UserError($"none of the {arguments.Count} paths given is a run folder");
        return runs.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
    }

    private static bool IsRunOrSweep(string path) => IsRun(path) || IsSweep(path);

    private static bool IsRun(string path) =>
        File.Exists(Path.Combine(path, RunStore.DataFileName)) && File.Exists(Path.Combine(path, RunStore.SummaryFileName));

    private static bool IsSweep(string path) => File.Exists(Path.Combine(path, SweepRunner.SweepFileName));

    private static IEnumerable<string> Expand(string path, string argument)
    {
        if (!Directory.Exists(path))
            throw new UserError(File.Exists(path) ? $"'{path}' is a file; give its run folder" : $"'{path}': no such folder");
        if (IsRun(path))
        {
            RunState.RequireEnded(path, Summary.SummaryFile.Read(Path.Combine(path, RunStore.SummaryFileName)));
            return [path];
        }
        if (IsSweep(path))
        {
            var points = Directory.GetDirectories(path)
                .Where(d => File.Exists(Path.Combine(d, RunStore.DataFileName)))
                .OrderBy(PointOrder).ThenBy(d => d, StringComparer.Ordinal).ToList();
            return points.Count > 0 ? points : throw new UserError($"sweep '{path}' has no finished points");
        }
        // A glob such as runs/* may match folders that are not runs: skip those, but not a folder named outright.
        if (!ReferenceEquals(path, argument) && argument.IndexOfAny(['*', '?']) >= 0) return [];
        throw new UserError($"'{path}' is not a run folder (it needs {RunStore.DataFileName} and {RunStore.SummaryFileName}) nor a sweep folder ({SweepRunner.SweepFileName})");
    }

    /// <summary>Sweep points sort by their load value (…_c2 before …_c16), not by name.</summary>
    private static double PointOrder(string folder)
    {
        var name = Path.GetFileName(folder);
        var cut = name.LastIndexOf('_');
        return cut >= 0 && name.Length > cut + 2 && double.TryParse(name[(cut + 2)..], System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.MaxValue;
    }

    /// <summary>Folders matching a pattern whose last part may hold * and ? (and earlier parts too).</summary>
    private static List<string> Glob(string pattern)
    {
        var full = Path.GetFullPath(pattern);
        var root = Path.GetPathRoot(full)!;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<string> current = [root];
        foreach (var part in parts)
        {
            current = part.IndexOfAny(['*', '?']) < 0
                ? current.Select(c => Path.Combine(c, part)).Where(Directory.Exists)
                : current.SelectMany(c => Directory.EnumerateDirectories(c).Where(d => FileSystemName.MatchesSimpleExpression(part, Path.GetFileName(d))).Order(StringComparer.Ordinal));
        }
        var relative = !Path.IsPathRooted(pattern);
        return current.Select(p => relative ? Path.GetRelativePath(Environment.CurrentDirectory, p) : p).ToList();
    }
}
