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

    public const int FieldPowerAverage = 185;
    public const int FieldPowerInstant = 186;

    /// <summary>nvmlDeviceArchitecture_t values ipw tells apart.</summary>
    public const uint ArchAmpere = 7, ArchUnknown = 0xffffffff;

    /// <summary>Registers the assembly's one native-library resolver (it serves NVML and AMD SMI) before the first call.</summary>
    public static void EnsureResolver() => AmdSmiSource.EnsureResolver();

    internal static IntPtr ResolveLibrary(Assembly assembly, DllImportSearchPath? path)
    {
        if (Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } file) return NativeLibrary.Load(file);
        if (OperatingSystem.IsWindows() && NativeLibrary.TryLoad("nvml.dll", assembly, path, out var windows)) return windows;
        return IntPtr.Zero; // the loader's normal search
    }

    /// <summary>nvmlMemory_t: <see cref="Used"/> includes the memory the driver reserves for itself.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Memory
    {
        public ulong Total, Free, Used;
    }

    /// <summary>nvmlMemory_v2_t: the reserved memory apart, <see cref="Used"/> only what is allocated.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MemoryV2
    {
        public uint Version;
        public ulong Total, Reserved, Free, Used;
    }

    /// <summary>nvmlMemory_v2, as nvml.h's NVML_STRUCT_VERSION(Memory, 2) makes it: the struct's size and the version.</summary>
    public static readonly uint MemoryV2Version = (uint)sizeof(MemoryV2) | (2u << 24);

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

        /// <summary>The value as its nvmlValueType_t says it is stored (the union's bytes, little-endian); null for a
        /// type ipw does not know.</summary>
        public readonly double? Number => ValueType switch
        {
            0 => BitConverter.UInt64BitsToDouble(Value),
            1 => (uint)Value,
            2 => OperatingSystem.IsWindows() ? (uint)Value : Value, // C's unsigned long: 32 bits on Windows
            3 => Value,
            4 => (long)Value,
            5 => (int)(uint)Value,
            6 => (ushort)Value,
            _ => null,
        };
    }

    [LibraryImport(Library)] public static partial int nvmlInit_v2();
    [LibraryImport(Library)] public static partial int nvmlShutdown();
    [LibraryImport(Library)] public static partial IntPtr nvmlErrorString(int result);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetCount_v2(out uint count);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetHandleByIndex_v2(uint index, out IntPtr device);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetName(IntPtr device, byte* name, uint length);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetArchitecture(IntPtr device, out uint architecture);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetCudaComputeCapability(IntPtr device, out int major, out int minor);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetTotalEnergyConsumption(IntPtr device, out ulong millijoules);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetPowerUsage(IntPtr device, out uint milliwatts);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetFieldValues(IntPtr device, int count, FieldValue* values);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetMemoryInfo(IntPtr device, out Memory memory);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetMemoryInfo_v2(IntPtr device, MemoryV2* memory);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetTemperature(IntPtr device, int sensor, out uint celsius);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetClockInfo(IntPtr device, int type, out uint mhz);
    [LibraryImport(Library)] public static partial int nvmlDeviceGetUtilizationRates(IntPtr device, out Utilization utilization);

    public static string Error(int code) => Marshal.PtrToStringAnsi(nvmlErrorString(code)) ?? $"NVML error {code}";

    public static string Name(IntPtr device)
    {
        var buffer = stackalloc byte[96];
        return nvmlDeviceGetName(device, buffer, 96) == NvmlReturn.Success ? Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "NVIDIA GPU" : "NVIDIA GPU";
    }

    /// <summary>One power field (185 or 186) in milliwatts: the call's code, else the field's own; NaN for a value type
    /// ipw does not know (<paramref name="valueType"/> says which).</summary>
    public static int PowerField(IntPtr device, uint field, out double milliwatts, out int valueType)
    {
        FieldValue value = default;
        value.FieldId = field;
        var rc = nvmlDeviceGetFieldValues(device, 1, &value);
        if (rc == NvmlReturn.Success) rc = value.Return;
        valueType = value.ValueType;
        milliwatts = rc == NvmlReturn.Success ? value.Number ?? double.NaN : double.NaN;
        return rc;
    }

    /// <summary>nvmlDeviceGetMemoryInfo_v2; FUNCTION_NOT_FOUND where the driver's library predates it.</summary>
    public static int MemoryInfoV2(IntPtr device, out MemoryV2 memory)
    {
        memory = new MemoryV2 { Version = MemoryV2Version };
        try
        {
            fixed (MemoryV2* p = &memory) return nvmlDeviceGetMemoryInfo_v2(device, p);
        }
        catch (EntryPointNotFoundException)
        {
            return NvmlReturn.FunctionNotFound;
        }
    }

    /// <summary>The device's architecture (nvmlDeviceArchitecture_t) and CUDA compute capability; null where the
    /// driver cannot say (a library older than nvmlDeviceGetArchitecture, or a failed call).</summary>
    public static (uint Architecture, int Major, int Minor)? Architecture(IntPtr device)
    {
        try
        {
            if (nvmlDeviceGetArchitecture(device, out var architecture) != NvmlReturn.Success) return null;
            return nvmlDeviceGetCudaComputeCapability(device, out var major, out var minor) == NvmlReturn.Success
                ? (architecture, major, minor)
                : (architecture, -1, -1);
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }
}
