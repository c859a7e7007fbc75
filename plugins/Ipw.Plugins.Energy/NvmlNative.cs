using System.Reflection;
using System.Runtime.InteropServices;

namespace Ipw.Plugins.Energy;

/// <summary>
/// P/Invoke declarations for the NVML functions ipw uses, with NVML's ABI. The library is found the way
/// the driver installs it (libnvidia-ml.so.1 on the loader's search path, nvml.dll on Windows);
/// <c>IPW_NVML_LIBRARY</c> names another file (a non-standard install, or the tests' stand-in).
/// </summary>
internal static unsafe partial class NvmlNative
{
    public const string Library = "libnvidia-ml.so.1";
    public const string LibraryVariable = "IPW_NVML_LIBRARY";

    public const int Success = 0;
    public const int NotSupported = 3;
    public const int FieldPowerAverage = 185;
    public const int FieldPowerInstant = 186;

    /// <summary>Registers the assembly's one native-library resolver (it serves NVML and AMD SMI) before the first call.</summary>
    public static void EnsureResolver() => AmdSmiSource.EnsureResolver();

    internal static IntPtr ResolveLibrary(Assembly assembly, DllImportSearchPath? path)
    {
        if (Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } file) return NativeLibrary.Load(file);
        if (OperatingSystem.IsWindows() && NativeLibrary.TryLoad("nvml.dll", assembly, path, out var windows)) return windows;
        return IntPtr.Zero; // the loader's normal search
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Memory
    {
        public ulong Total, Free, Used;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Utilization
    {
        public uint Gpu, MemoryRate;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct FieldValue
    {
        public uint FieldId;
        public uint ScopeId;
        public long Timestamp;
        public long LatencyUsec;
        public int ValueType;
        public int Return;
        public ulong Value;
    }

    [LibraryImport(Library)] public static partial int nvmlInit_v2();
    [LibraryImport(Library)] public static partial int nvmlShutdown();
    [LibraryImport(Library)] public static partial IntPtr nvmlErrorString(int result);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetCount_v2(out uint count);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetHandleByIndex_v2(uint index, out IntPtr device);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetName(IntPtr device, byte* name, uint length);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetTotalEnergyConsumption(IntPtr device, out ulong millijoules);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetPowerUsage(IntPtr device, out uint milliwatts);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetFieldValues(IntPtr device, int count, FieldValue* values);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetMemoryInfo(IntPtr device, out Memory memory);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetTemperature(IntPtr device, int sensor, out uint celsius);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetClockInfo(IntPtr device, int type, out uint mhz);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetUtilizationRates(IntPtr device, out Utilization utilization);

    public static string Error(int code) => Marshal.PtrToStringAnsi(nvmlErrorString(code)) ?? $"NVML error {code}";

    public static string Name(IntPtr device)
    {
        var buffer = stackalloc byte[96];
        return nvmlDeviceGetName(device, buffer, 96) == Success ? Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "NVIDIA GPU" : "NVIDIA GPU";
    }

    public static int PowerInstant(IntPtr device, out uint milliwatts)
    {
        FieldValue value = default;
        value.FieldId = FieldPowerInstant;
        var rc = nvmlDeviceGetFieldValues(device, 1, &value);
        milliwatts = (uint)value.Value;
        return rc != Success ? rc : value.Return;
    }
}
