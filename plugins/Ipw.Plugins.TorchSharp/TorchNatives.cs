using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Ipw.Abstractions;

namespace Ipw.Plugins.TorchSharp;

/// <summary>
/// Finds and loads libtorch and TorchSharp's native library before TorchSharp is first used, so that every failure
/// is a sentence: libtorch not installed, a library that does not load, or a libstdc++ too old.
/// <para>libtorch comes from <c>IPW_LIBTORCH_DIR</c>, else the plugin's <c>libtorch/</c> folder (installed by building the
/// plugin with <c>-p:IpwLibTorch=cpu</c>). Each library is loaded by absolute path; TorchSharp's own by-name loads then
/// find them already loaded (the loader matches their sonames).</para>
/// <para>TorchSharp 0.107's <c>libLibTorchSharp.so</c> was built with GCC 13 and declares a need for
/// <c>GLIBCXX_3.4.32</c>, which older distributions' libstdc++ (Debian 12 has 3.4.30) lack. The only symbol of that
/// version is <c>std::ios_base_library_init()</c>, which GCC 13's &lt;iostream&gt; references without calling: no relocation
/// uses it. When this machine's libstdc++ lacks a needed version, and no relocation uses a symbol of it, the plugin loads a
/// copy (in the ipw cache) in which that need is marked weak, which the dynamic loader then does not insist on. A missing
/// version that is really used is refused, with the reason.</para>
/// </summary>
internal static class TorchNatives
{
    /// <summary>The libtorch version TorchSharp 0.107 is built against.</summary>
    public const string LibTorchVersion = "2.10.0";

    private static readonly Lock Gate = new();
    private static LoadedNatives? _loaded;
    private static string? _failure;

    /// <summary>What was loaded, for summary.json.</summary>
    public sealed record LoadedNatives(string LibTorchDir, string LibTorchSharp, string? Patched, bool Cuda);

    private static string PluginDir => Path.GetDirectoryName(typeof(TorchNatives).Assembly.Location) ?? AppContext.BaseDirectory;

    /// <summary>The libtorch folder: <c>IPW_LIBTORCH_DIR</c>, else the plugin's <c>libtorch/</c>; null when neither exists.</summary>
    public static string? LibTorchDir()
    {
        if (Environment.GetEnvironmentVariable("IPW_LIBTORCH_DIR") is { Length: > 0 } env) return Path.GetFullPath(env);
        var beside = Path.Combine(PluginDir, "libtorch");
        return Directory.Exists(beside) ? beside : null;
    }

    private static string Lib(string name) =>
        OperatingSystem.IsWindows() ? $"{name}.dll" : OperatingSystem.IsMacOS() ? $"lib{name}.dylib" : $"lib{name}.so";

    /// <summary>A cheap check that loads nothing: the platform, libtorch's files and TorchSharp's native library.</summary>
    public static Availability Check()
    {
        if (_failure is not null) return Availability.No(_failure);
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return Availability.No($"the torchsharp client is built and tested for linux-x64 only (this is {RuntimeInformation.RuntimeIdentifier})");
        var dir = LibTorchDir();
        if (dir is null)
        {
            return Availability.No($"libtorch is not installed (~450 MB, left out of the default build): run IPW_LIBTORCH=cpu ./scripts/ipw once, " +
                $"build with -p:IpwLibTorch=cpu, or set IPW_LIBTORCH_DIR to a libtorch {LibTorchVersion} lib folder");
        }
        if (!Directory.Exists(dir)) return Availability.No($"the libtorch folder {dir} (IPW_LIBTORCH_DIR) does not exist");
        foreach (var name in new[] { "c10", "torch_cpu", "torch" })
        {
            if (!File.Exists(Path.Combine(dir, Lib(name))))
                return Availability.No($"{Lib(name)} is missing from the libtorch folder {dir}");
        }
        var own = Path.Combine(PluginDir, "torchsharp", Lib("LibTorchSharp"));
        return File.Exists(own) ? Availability.Yes : Availability.No($"TorchSharp's native library {own} is missing; rebuild the plugin");
    }

    /// <summary>Loads libtorch and TorchSharp's native library once per process.</summary>
    /// <exception cref="PluginConfigurationException">They cannot be loaded; the message says why.</exception>
    public static LoadedNatives EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded is not null) return _loaded;
            if (_failure is not null) throw new PluginConfigurationException(_failure);
            try
            {
                _loaded = Load();
                return _loaded;
            }
            catch (PluginConfigurationException e)
            {
                _failure = e.Message;
                throw;
            }
        }
    }

    private static LoadedNatives Load()
    {
        var available = Check();
        if (!available.IsAvailable) throw new PluginConfigurationException($"torchsharp: {available.Reason}");
        var dir = LibTorchDir()!;
        // Dependencies first, by absolute path: libc10 and libtorch_cpu (and libtorch_cuda with its CUDA libraries when the
        // folder holds a CUDA build), then libtorch, which needs them.
        var cuda = File.Exists(Path.Combine(dir, Lib("torch_cuda")));
        var order = cuda ? new[] { "c10", "c10_cuda", "torch_cpu", "torch_cuda", "torch" } : new[] { "c10", "torch_cpu", "torch" };
        foreach (var name in order) LoadOrExplain(Path.Combine(dir, Lib(name)), $"libtorch's {Lib(name)}");

        var own = Path.Combine(PluginDir, "torchsharp", Lib("LibTorchSharp"));
        string? patched = null;
        var missing = MissingLibStdCxxVersions(own);
        var path = own;
        if (missing.Count > 0)
        {
            path = PatchedCopy(own, missing);
            patched = $"{string.Join(", ", missing)} of libstdc++ marked weak in a copy of libLibTorchSharp.so " +
                "(this libstdc++ lacks it; no relocation uses a symbol of it)";
        }
        LoadOrExplain(path, "TorchSharp's libLibTorchSharp.so");
        return new LoadedNatives(dir, path, patched, cuda);
    }

    private static void LoadOrExplain(string path, string what)
    {
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            var why = e.Message.ReplaceLineEndings(" ").Trim();
            var hint = why.Contains("GLIBCXX_", StringComparison.Ordinal) || why.Contains("CXXABI_", StringComparison.Ordinal)
                ? " (this libstdc++ is older than the one the library was built with: install a newer libstdc++, e.g. from GCC 13.2 or later, and start ipw with LD_LIBRARY_PATH pointing at its folder)"
                : "";
            throw new PluginConfigurationException($"torchsharp: {what} could not be loaded: {why}{hint}");
        }
    }

    /// <summary>Versions of libstdc++ that <paramref name="library"/> needs and this process's libstdc++ does not define.</summary>
    internal static IReadOnlyList<string> MissingLibStdCxxVersions(string library)
    {
        var needs = ElfVersionNeeds.Read(library).Where(n => n.File == "libstdc++.so.6" && !n.Weak).ToList();
        if (needs.Count == 0) return [];
        var stdcxx = NativeLibrary.Load("libstdc++.so.6");
        var missing = new List<string>();
        foreach (var need in needs)
        {
            // A version is present when any symbol of it resolves at that version.
            if (need.Symbols.Count == 0 || need.Symbols.All(s => DlVSym(stdcxx, s, need.Version) == IntPtr.Zero))
                missing.Add(need.Version);
        }
        return missing;
    }

    private static unsafe IntPtr DlVSym(IntPtr handle, string symbol, string version)
    {
        var libc = NativeLibrary.Load("libc.so.6");
        var dlvsym = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)NativeLibrary.GetExport(libc, "dlvsym");
        var s = Marshal.StringToCoTaskMemUTF8(symbol);
        var v = Marshal.StringToCoTaskMemUTF8(version);
        try
        {
            return dlvsym(handle, (byte*)s, (byte*)v);
        }
        finally
        {
            Marshal.FreeCoTaskMem(s);
            Marshal.FreeCoTaskMem(v);
        }
    }

    /// <summary>A copy of <paramref name="library"/> with <paramref name="versions"/> marked weak, kept in the ipw cache under
    /// the original's hash, so it is written once per TorchSharp build.</summary>
    private static string PatchedCopy(string library, IReadOnlyList<string> versions)
    {
        string hash;
        using (var stream = File.OpenRead(library)) hash = Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
        var target = Path.Combine(IpwCache.Root, "torchsharp", hash, Path.GetFileName(library));
        if (File.Exists(target)) return target;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            ElfVersionNeeds.WriteWeakCopy(library, target, versions);
        }
        catch (InvalidOperationException e)
        {
            throw new PluginConfigurationException(
                $"torchsharp: this libstdc++ lacks {string.Join(", ", versions)}, which TorchSharp's native library really uses ({e.Message}); " +
                "install a libstdc++ from GCC 13.2 or later and start ipw with LD_LIBRARY_PATH pointing at its folder");
        }
        return target;
    }
}
