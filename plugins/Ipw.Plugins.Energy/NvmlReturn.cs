namespace Ipw.Plugins.Energy;

/// <summary>
/// NVML's return codes (nvmlReturn_t, numbered as in nvml.h) and how ipw words them: the library's own string with
/// the code's name beside it, since the name is what NVIDIA's documentation and forums search for; for a failed
/// nvmlInit, what to do about it.
/// </summary>
internal static class NvmlReturn
{
    public const int Success = 0;
    public const int Uninitialized = 1;
    public const int NotSupported = 3;
    public const int NoPermission = 4;
    public const int DriverNotLoaded = 9;
    public const int LibraryNotFound = 12;
    public const int FunctionNotFound = 13;
    public const int GpuIsLost = 15;
    public const int LibRmVersionMismatch = 18;
    public const int ArgumentVersionMismatch = 25;

    private static readonly string[] Names =
    [
        "NVML_SUCCESS", "NVML_ERROR_UNINITIALIZED", "NVML_ERROR_INVALID_ARGUMENT", "NVML_ERROR_NOT_SUPPORTED",
        "NVML_ERROR_NO_PERMISSION", "NVML_ERROR_ALREADY_INITIALIZED", "NVML_ERROR_NOT_FOUND", "NVML_ERROR_INSUFFICIENT_SIZE",
        "NVML_ERROR_INSUFFICIENT_POWER", "NVML_ERROR_DRIVER_NOT_LOADED", "NVML_ERROR_TIMEOUT", "NVML_ERROR_IRQ_ISSUE",
        "NVML_ERROR_LIBRARY_NOT_FOUND", "NVML_ERROR_FUNCTION_NOT_FOUND", "NVML_ERROR_CORRUPTED_INFOROM", "NVML_ERROR_GPU_IS_LOST",
        "NVML_ERROR_RESET_REQUIRED", "NVML_ERROR_OPERATING_SYSTEM", "NVML_ERROR_LIB_RM_VERSION_MISMATCH", "NVML_ERROR_IN_USE",
        "NVML_ERROR_MEMORY", "NVML_ERROR_NO_DATA", "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED", "NVML_ERROR_INSUFFICIENT_RESOURCES",
        "NVML_ERROR_FREQ_NOT_SUPPORTED", "NVML_ERROR_ARGUMENT_VERSION_MISMATCH", "NVML_ERROR_DEPRECATED", "NVML_ERROR_NOT_READY",
        "NVML_ERROR_GPU_NOT_FOUND", "NVML_ERROR_INVALID_STATE",
    ];

    /// <summary>The code's name in nvml.h, e.g. NVML_ERROR_GPU_IS_LOST.</summary>
    public static string Name(int code) =>
        code >= 0 && code < Names.Length ? Names[code] : code == 999 ? "NVML_ERROR_UNKNOWN" : $"nvmlReturn_t {code}";

    /// <summary>"GPU is lost (NVML_ERROR_GPU_IS_LOST)": the library's words and the code's name.</summary>
    public static string Describe(int code) => $"{NvmlNative.Error(code)} ({Name(code)})";

    /// <summary>Why nvmlInit failed and what to do about it.</summary>
    public static string InitFailure(int code) => $"nvmlInit failed: {Describe(code)}" + code switch
    {
        DriverNotLoaded => ": the NVIDIA kernel driver is not loaded (nvidia-smi says the same); load the nvidia module or reinstall the driver",
        LibraryNotFound => ": NVML could not load the driver's libraries (a CUDA toolkit stub libnvidia-ml may be found before the driver's; "
                           + $"set {NvmlNative.LibraryVariable} to the driver's)",
        NoPermission => ": this user may not open the GPUs (/dev/nvidia*); in a container, run it with the GPUs exposed",
        LibRmVersionMismatch => ": the NVML library and the loaded kernel driver differ in version (a driver update without a reboot); "
                                + "reboot or reload the driver",
        _ => "",
    };
}
