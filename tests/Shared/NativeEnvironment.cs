using System.Runtime.InteropServices;

namespace Ipw.Testing;

/// <summary>The stand-in libraries are native code and read the C environment, which .NET's own copy
/// (Environment.SetEnvironmentVariable) does not reach: tests set their configuration through libc.
/// Shared by the energy tests, the attribution tests and the benchmark, so it uses no test framework.</summary>
internal static partial class NativeEnvironment
{
    public static void Set(string name, string value)
    {
        if (setenv(name, value, 1) != 0) throw new InvalidOperationException($"setenv {name} failed");
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    /// <summary>A library the build put under artifacts/native (see tests/NvmlStandin.targets), found from the test
    /// binaries' folder or from <paramref name="root"/>, the repository.</summary>
    public static string StandinLibrary(string relative, string? root = null)
    {
        var path = Path.GetFullPath(root is null
            ? Path.Combine(AppContext.BaseDirectory, "../../../../../artifacts/native", relative)
            : Path.Combine(root, "artifacts/native", relative));
        if (!File.Exists(path)) throw new InvalidOperationException($"the stand-in was not built at {path}");
        return path;
    }
}
