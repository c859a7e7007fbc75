using System.Runtime.InteropServices;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>The stand-in libraries are native code and read the C environment, which .NET's own copy
/// (Environment.SetEnvironmentVariable) does not reach: tests set their configuration through libc.</summary>
internal static partial class NativeEnvironment
{
    public static void Set(string name, string value) => Assert.Equal(0, setenv(name, value, 1));

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    /// <summary>A library the build put under artifacts/native (see tests/NvmlStandin.targets).</summary>
    public static string StandinLibrary(string relative)
    {
        var path = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../artifacts/native", relative));
        Assert.True(File.Exists(path), $"the stand-in was not built at {path}");
        return path;
    }
}
