using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ipw.Abstractions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Scripting;

namespace Ipw.Scripting;

/// <summary>
/// A script compiled to an assembly, and the on-disk cache of such assemblies keyed by content. Roslyn's first
/// compilation in a process costs seconds (mostly the JIT compiling Roslyn); a cached script skips Roslyn entirely.
/// An entry is used only while the script, every file it <c>#load</c>s, every assembly it <c>#r</c>eferences and ipw's
/// own script API are unchanged. <c>IPW_SCRIPT_CACHE=0</c> turns the cache off.
/// </summary>
internal sealed class CompiledScript
{
    private const string SubmissionType = "Submission#0";
    private const string FactoryMethod = "<Factory>";

    private readonly Assembly _assembly;

    private CompiledScript(Assembly assembly) => _assembly = assembly;

    /// <summary>Whether this came from the cache.</summary>
    public bool FromCache { get; private init; }

    /// <summary>Runs the script's code with <paramref name="globals"/>; returns its return value.</summary>
    public async Task<object?> RunAsync(ScriptGlobals globals)
    {
        var factory = _assembly.GetType(SubmissionType, throwOnError: true)!.GetMethod(FactoryMethod, BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"the compiled script has no {FactoryMethod}");
        // Slot 0 holds the globals; slot 1 receives the submission itself.
        object?[] submissions = [globals, null];
        Task<object> run;
        try
        {
            run = (Task<object>)factory.Invoke(null, [submissions])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
        return await run.ConfigureAwait(false);
    }

    /// <summary>Emits a compiled script; null with <paramref name="diagnostics"/> when it does not compile.</summary>
    public static CompiledScript? Emit(Script script, string file, string source, out IReadOnlyList<Diagnostic> diagnostics)
    {
        var compilation = script.GetCompilation();
        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        var result = compilation.Emit(pe, pdb, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        diagnostics = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (!result.Success) return null;

        var references = compilation.References.OfType<PortableExecutableReference>().Select(r => r.FilePath).OfType<string>()
            .Where(p => !IsPlatformOrIpw(p)).Distinct(StringComparer.Ordinal).ToList();
        var loaded = compilation.SyntaxTrees.Select(t => t.FilePath).Where(p => p.Length > 0 && !string.Equals(p, file, StringComparison.Ordinal) && File.Exists(p))
            .Distinct(StringComparer.Ordinal).ToList();
        var compiled = Load(pe.ToArray(), pdb.ToArray(), references);
        Store(file, source, pe.ToArray(), pdb.ToArray(), loaded, references);
        return compiled;
    }

    /// <summary>The cached compilation of this script, when every input is as it was.</summary>
    public static CompiledScript? FromCacheOrNull(string file, string source)
    {
        if (Folder() is not { } folder) return null;
        var key = Key(file, source);
        var manifestPath = Path.Combine(folder, key + ".json");
        try
        {
            if (!File.Exists(manifestPath)) return null;
            var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(manifestPath));
            if (manifest is null) return null;
            foreach (var dependency in manifest.Loaded)
                if (!File.Exists(dependency.Path) || Hash(File.ReadAllBytes(dependency.Path)) != dependency.Sha256) return null;
            foreach (var reference in manifest.References)
                if (!File.Exists(reference.Path) || Stamp(reference.Path) != reference.Sha256) return null;
            var compiled = Load(File.ReadAllBytes(Path.Combine(folder, key + ".dll")), File.ReadAllBytes(Path.Combine(folder, key + ".pdb")),
                manifest.References.Select(r => r.Path).ToList());
            return new CompiledScript(compiled._assembly) { FromCache = true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or BadImageFormatException)
        {
            return null; // a damaged entry is compiled again
        }
    }

    private static CompiledScript Load(byte[] pe, byte[] pdb, IReadOnlyList<string> references)
    {
        // Assemblies the script #r's resolve from where the compiler found them.
        var byName = references.Where(File.Exists).GroupBy(p => AssemblyName.GetAssemblyName(p).Name ?? "", StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        if (byName.Count > 0)
        {
            AssemblyLoadContext.Default.Resolving += (context, name) =>
                name.Name is { } n && byName.TryGetValue(n, out var path) ? context.LoadFromAssemblyPath(path) : null;
        }
        using var peStream = new MemoryStream(pe);
        using var pdbStream = new MemoryStream(pdb);
        return new CompiledScript(AssemblyLoadContext.Default.LoadFromStream(peStream, pdbStream));
    }

    private static void Store(string file, string source, byte[] pe, byte[] pdb, IReadOnlyList<string> loaded, IReadOnlyList<string> references)
    {
        if (Folder() is not { } folder) return;
        try
        {
            Directory.CreateDirectory(folder);
            var key = Key(file, source);
            var manifest = new Manifest(
                loaded.Select(p => new Dependency(p, Hash(File.ReadAllBytes(p)))).ToList(),
                references.Select(p => new Dependency(p, Stamp(p))).ToList());
            // Written beside, then moved into place: a reader never sees half an entry, and the manifest goes last.
            Write(Path.Combine(folder, key + ".dll"), pe);
            Write(Path.Combine(folder, key + ".pdb"), pdb);
            Write(Path.Combine(folder, key + ".json"), JsonSerializer.SerializeToUtf8Bytes(manifest));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The cache is an optimisation: a read-only cache folder only costs the next run a compilation.
        }
    }

    private static void Write(string path, byte[] bytes) => AtomicFile.WriteAllBytes(path, bytes);

    private static string? Folder() =>
        Environment.GetEnvironmentVariable("IPW_SCRIPT_CACHE") == "0" ? null : Path.Combine(IpwCache.Root, "scripts");

    /// <summary>The script's path and text, and the identity of the script API it was compiled against.</summary>
    private static string Key(string file, string source)
    {
        var api = string.Join(",", new[] { typeof(ScriptGlobals), typeof(Core.Profiling.Profiler), typeof(IInferenceClient) }
            .Select(t => t.Assembly.ManifestModule.ModuleVersionId));
        return Hash(Encoding.UTF8.GetBytes($"{api}\n{file}\n{source}"))[..32];
    }

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>An assembly's identity for the cache: its size and last write time (hashing every reference would cost more than it saves).</summary>
    private static string Stamp(string path)
    {
        var info = new FileInfo(path);
        return $"{info.Length}:{info.LastWriteTimeUtc.Ticks}";
    }

    /// <summary>The framework's and ipw's own assemblies: always there, and versioned by the key.</summary>
    private static bool IsPlatformOrIpw(string path) =>
        path.StartsWith(Path.GetDirectoryName(typeof(object).Assembly.Location)!, StringComparison.Ordinal)
        || string.Equals(Path.GetDirectoryName(path), Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), StringComparison.Ordinal);

    private sealed record Dependency(string Path, string Sha256);

    private sealed record Manifest(List<Dependency> Loaded, List<Dependency> References);
}
