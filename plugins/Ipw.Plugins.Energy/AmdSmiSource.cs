using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// AMD GPUs through AMD SMI (<c>libamd_smi.so</c>, ROCm): per GPU the energy counter (accumulator x
/// resolution, microjoules) and VRAM in use. The counter is validated at start-up: it must advance at a
/// plausible power, since AMD SMI before ROCm 6.3 could report it wrongly; its update period is learned meanwhile.
/// <c>IPW_AMDSMI_LIBRARY</c> names another file; GPU selection follows <see cref="TelemetrySourceOptions.Gpus"/>
/// (indices). AMD SMI does not count initialisations (one amdsmi_shut_down ends the library for the whole process),
/// so the backend counts its own: a second session, or <c>ipw list</c>'s check during a run, leaves the first alone.
/// </summary>
internal sealed partial class AmdSmiSource(TelemetrySourceOptions options) : ITelemetrySource
{
    public const string Library = "libamd_smi.so";
    public const string LibraryVariable = "IPW_AMDSMI_LIBRARY";
    private const ulong InitAmdGpus = 1 << 1;
    private static readonly Lock Sessions = new();
    private static int s_sessions;
    private readonly List<Func<double>> _readers = [];
    private bool _initialized;

    static AmdSmiSource() => NativeLibrary.SetDllImportResolver(typeof(AmdSmiSource).Assembly, Resolve);

    /// <summary>Forces the static constructor (and so the assembly's resolver) to run.</summary>
    public static void EnsureResolver() { }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name == NvmlNative.Library) return NvmlNative.ResolveLibrary(assembly, path);
        if (name != Library) return IntPtr.Zero;
        if (Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } file) return NativeLibrary.Load(file);
        return NativeLibrary.TryLoad("/opt/rocm/lib/" + Library, out var rocm) ? rocm : IntPtr.Zero;
    }

    [LibraryImport(Library)] private static partial int amdsmi_init(ulong flags);
    [LibraryImport(Library)] private static partial int amdsmi_shut_down();
    [LibraryImport(Library)] private static unsafe partial int amdsmi_get_socket_handles(ref uint count, IntPtr* handles);
    [LibraryImport(Library)] private static unsafe partial int amdsmi_get_processor_handles(IntPtr socket, ref uint count, IntPtr* handles);
    [LibraryImport(Library)] private static partial int amdsmi_get_energy_count(IntPtr processor, out ulong accumulator, out float resolution, out ulong timestamp);
    [LibraryImport(Library)] private static partial int amdsmi_get_gpu_memory_usage(IntPtr processor, int type, out ulong used);

    /// <summary>amdsmi_init for the process's first session only; its status.</summary>
    private static int Acquire()
    {
        lock (Sessions)
        {
            if (s_sessions == 0 && amdsmi_init(InitAmdGpus) is var rc && rc != 0) return rc;
            s_sessions++;
            return 0;
        }
    }

    /// <summary>amdsmi_shut_down when the process's last session ends.</summary>
    private static void Release()
    {
        lock (Sessions)
        {
            if (s_sessions > 0 && --s_sessions == 0) amdsmi_shut_down();
        }
    }

    public static Availability QuickCheck()
    {
        EnsureResolver();
        try
        {
            var rc = Acquire();
            if (rc != 0) return Availability.No($"amdsmi_init failed (status {rc})");
            Release();
            return Availability.Yes;
        }
        catch (DllNotFoundException)
        {
            return Availability.No($"{Library} not found: no ROCm on this machine (or set {LibraryVariable} to the library's path)");
        }
        catch (EntryPointNotFoundException)
        {
            return Availability.No($"{Library} lacks a function ipw needs: ROCm is too old (6.0 or newer is needed, 6.3 or newer for a correct energy counter)");
        }
    }

    public unsafe TelemetryProbe Probe()
    {
        Dispose();
        var check = QuickCheck();
        if (!check.IsAvailable) return new TelemetryProbe(false, check.Reason, [], [], "amdsmi");
        if (Acquire() != 0) return new TelemetryProbe(false, "amdsmi_init failed", [], [], "amdsmi");
        _initialized = true;

        var gpus = new List<IntPtr>();
        uint sockets = 0;
        amdsmi_get_socket_handles(ref sockets, null);
        var socketHandles = new IntPtr[sockets];
        fixed (IntPtr* sp = socketHandles) amdsmi_get_socket_handles(ref sockets, sp);
        foreach (var socket in socketHandles.Take((int)sockets))
        {
            uint count = 0;
            amdsmi_get_processor_handles(socket, ref count, null);
            var handles = new IntPtr[count];
            fixed (IntPtr* hp = handles) amdsmi_get_processor_handles(socket, ref count, hp);
            gpus.AddRange(handles.Take((int)count));
        }
        if (gpus.Count == 0)
        {
            Dispose();
            return new TelemetryProbe(false, "AMD SMI found no GPU", [], [], "amdsmi");
        }

        var (selected, why) = NvmlSource.Select(options.Gpus, gpus.Count, "AMD SMI");
        if (selected is null)
        {
            Dispose();
            return new TelemetryProbe(false, why, [], [], "amdsmi");
        }

        var metrics = new List<MetricInfo>();
        var missing = new List<MissingMetric>();
        var details = new Dictionary<string, string> { ["selection"] = why };
        var devices = new List<DeviceInfo>();
        var verdicts = Validate(selected.Select(i => gpus[i]).ToList());
        for (var n = 0; n < selected.Length; n++)
        {
            var gpu = $"gpu{selected[n]}";
            devices.Add(new DeviceInfo(gpu, "gpu", null));
            var handle = gpus[selected[n]];
            var (ok, description, period) = verdicts[n];
            details[$"{gpu}_energy_validation"] = description;
            if (ok)
            {
                details[$"{gpu}_energy_update"] = period.Describe();
                metrics.Add(period.Apply(new MetricInfo($"{gpu}_energy_j", gpu, MetricKind.Energy, "J")));
                _readers.Add(() => amdsmi_get_energy_count(handle, out var acc, out var res, out _) == 0 ? acc * (double)res / 1e6 : double.NaN);
            }
            else missing.Add(new MissingMetric(MetricKind.Energy, $"{gpu}: {description}"));
            if (amdsmi_get_gpu_memory_usage(handle, 0, out _) == 0)
            {
                metrics.Add(new MetricInfo($"{gpu}_memory_used_bytes", gpu, MetricKind.Memory, "bytes"));
                _readers.Add(() => amdsmi_get_gpu_memory_usage(handle, 0, out var used) == 0 ? used : double.NaN);
            }
        }
        missing.Add(new MissingMetric(MetricKind.Power, "ipw reads AMD power as energy over time (the counter), not AMD SMI's power report"));
        missing.Add(new MissingMetric(MetricKind.Temperature, "AMD GPU temperature is not read by ipw yet"));
        if (metrics.Count == 0)
        {
            Dispose();
            return new TelemetryProbe(false, string.Join("; ", missing.Select(m => m.Reason)), [], missing, "amdsmi") { Details = details };
        }
        return new TelemetryProbe(true, null, metrics, missing, "amdsmi: energy counter deltas") { Details = details };
    }

    /// <summary>Watches every counter for at least 250 ms, learning its update period meanwhile: each must advance, at
    /// a power a board can draw (0 to 3 kW).</summary>
    private static (bool Ok, string Description, CounterPeriod.Estimate Period)[] Validate(List<IntPtr> handles)
    {
        var resolutions = new float[handles.Count];
        var supported = handles.Select((h, i) => amdsmi_get_energy_count(h, out _, out resolutions[i], out _) == 0).ToArray();
        var estimates = CounterPeriod.Learn(
            handles.Select(h => (Func<ulong?>)(() => amdsmi_get_energy_count(h, out var acc, out _, out _) == 0 ? acc : null)).ToList(),
            _ => "the energy counter stopped answering", TimeSpan.FromMilliseconds(250));
        return estimates.Select((e, i) => (supported[i], e.FailedReading) switch
        {
            (false, _) => (false, "the energy counter is not supported", e),
            (_, { } failure) => (false, failure, e),
            _ => Judge(e, resolutions[i]),
        }).ToArray();
    }

    private static (bool, string, CounterPeriod.Estimate) Judge(CounterPeriod.Estimate e, float resolution)
    {
        var seconds = e.SpanMs / 1000;
        var watts = (e.Last - (double)e.First) * resolution / 1e6 / seconds;
        return watts is > 0 and < 3000
            ? (true, string.Create(CultureInfo.InvariantCulture, $"ok: {watts:F1} W over {seconds:F2} s at start-up, resolution {resolution:G4} µJ"), e)
            : (false, string.Create(CultureInfo.InvariantCulture,
                $"the energy counter gives an implausible {watts:F1} W at start-up (AMD SMI before ROCm 6.3 reports it wrongly): energy not recorded"), e);
    }

    public void Read(Span<double> values)
    {
        for (var i = 0; i < _readers.Count; i++) values[i] = _readers[i]();
    }

    public void Dispose()
    {
        _readers.Clear();
        if (!_initialized) return;
        _initialized = false;
        Release();
    }
}
