using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// NVIDIA GPUs through NVML: per device the total-energy counter (mJ, unwrapped across resets),
/// instantaneous power (field 186, else the 1-s average with that said), memory used, temperature,
/// SM clock and utilisation. Only the GPUs the service uses are read (<see cref="TelemetrySourceOptions.Gpus"/>, as
/// indices). The counter's update period is learned at start-up.
/// </summary>
internal sealed class NvmlSource(TelemetrySourceOptions options) : ITelemetrySource
{
    private readonly List<Func<double>> _readers = [];
    private bool _initialized;

    /// <summary>Loads the library and calls nvmlInit; returns why it failed, or null on success.</summary>
    private static string? Initialize()
    {
        NvmlNative.EnsureResolver();
        try
        {
            var rc = NvmlNative.nvmlInit_v2();
            return rc == NvmlNative.Success ? null : $"nvmlInit failed: {NvmlNative.Error(rc)}";
        }
        catch (DllNotFoundException)
        {
            return $"{NvmlNative.Library} not found: no NVIDIA driver on this machine (or set {NvmlNative.LibraryVariable} to the library's path)";
        }
        catch (EntryPointNotFoundException)
        {
            return "the NVML library is too old (no nvmlInit_v2): update the NVIDIA driver";
        }
    }

    /// <summary>Cheap availability for <c>ipw list</c>: load the library, initialise, count GPUs; no reads.</summary>
    public static Availability QuickCheck()
    {
        if (Initialize() is { } why) return Availability.No(why);
        try
        {
            var rc = NvmlNative.nvmlDeviceGetCount_v2(out var count);
            return rc != NvmlNative.Success ? Availability.No($"nvmlDeviceGetCount failed: {NvmlNative.Error(rc)}")
                : count == 0 ? Availability.No("NVML found no GPU") : Availability.Yes;
        }
        finally
        {
            NvmlNative.nvmlShutdown();
        }
    }

    public TelemetryProbe Probe()
    {
        Dispose(); // probing again starts afresh
        if (Initialize() is { } why) return Unavailable(why);
        _initialized = true;

        var rc = NvmlNative.nvmlDeviceGetCount_v2(out var count);
        if (rc != NvmlNative.Success) return Unavailable($"nvmlDeviceGetCount failed: {NvmlNative.Error(rc)}");
        if (count == 0) return Unavailable("NVML found no GPU");
        var (indices, selection) = SelectDevices((int)count);
        if (indices is null) return Unavailable(selection);

        var metrics = new List<MetricInfo>();
        var missing = new List<MissingMetric>();
        var details = new Dictionary<string, string> { ["selection"] = selection };
        var devices = new List<DeviceInfo>();
        foreach (var index in indices)
        {
            rc = NvmlNative.nvmlDeviceGetHandleByIndex_v2((uint)index, out var device);
            if (rc != NvmlNative.Success)
            {
                missing.Add(new MissingMetric(MetricKind.Energy, $"gpu{index}: no handle ({NvmlNative.Error(rc)})"));
                continue;
            }
            var gpu = $"gpu{index}";
            var name = NvmlNative.Name(device);
            details[$"{gpu}_name"] = name;
            devices.Add(new DeviceInfo(gpu, "gpu", name));
            AddDevice(device, gpu, metrics, missing, details);
        }
        if (metrics.Count == 0) return new TelemetryProbe(false, "no metric of the selected GPUs can be read", [], missing, "nvml") { Details = details, Devices = devices };
        return new TelemetryProbe(true, null, metrics, missing, "nvml: energy counter deltas; power from the instant field") { Details = details, Devices = devices };
    }

    private (int[]? Indices, string Description) SelectDevices(int count) => Select(options.Gpus, count, "NVML");

    /// <summary>The GPU indices a selection names, or why it cannot be used (shared with AMD SMI).</summary>
    internal static (int[]? Indices, string Description) Select(GpuSelection? selection, int count, string backend)
    {
        if (selection is null) return (Enumerable.Range(0, count).ToArray(), $"all {count} GPUs (give --gpus, or set IPW_GPUS or CUDA_VISIBLE_DEVICES, to count only the service's)");
        var parts = selection.Text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var indices = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i))
                return (null, $"{selection.Origin}={selection.Text}: only GPU indices are understood, not '{p}'");
            if (i < 0 || i >= count) return (null, $"{selection.Origin}={selection.Text}: GPU {i} does not exist ({backend} sees {count})");
            indices.Add(i);
        }
        return (indices.ToArray(), $"GPUs {string.Join(",", indices)} from {selection.Origin}");
    }

    private void AddDevice(IntPtr device, string gpu, List<MetricInfo> metrics, List<MissingMetric> missing, Dictionary<string, string> details)
    {
        var rc = NvmlNative.nvmlDeviceGetTotalEnergyConsumption(device, out _);
        if (rc == NvmlNative.Success)
        {
            var counter = new EnergyCounter(device);
            var period = LearnUpdatePeriod(device);
            metrics.Add(new MetricInfo($"{gpu}_energy_j", gpu, MetricKind.Energy, "J") { UpdatePeriod = period is { } p ? TimeSpan.FromMilliseconds(p) : null });
            _readers.Add(counter.ReadJoules);
            details[$"{gpu}_energy_update_ms"] = period is { } ms
                ? ms.ToString("0.#", CultureInfo.InvariantCulture)
                : "unknown (the counter did not change while probed: idle board or slow updates)";
        }
        else missing.Add(new MissingMetric(MetricKind.Energy, $"{gpu}: the energy counter is {Describe(rc)} (it needs a Volta or newer GPU)"));

        if (NvmlNative.PowerInstant(device, out _) == NvmlNative.Success)
        {
            metrics.Add(new MetricInfo($"{gpu}_power_w", gpu, MetricKind.Power, "W"));
            _readers.Add(() => NvmlNative.PowerInstant(device, out var mw) == NvmlNative.Success ? mw / 1000.0 : double.NaN);
        }
        else if ((rc = NvmlNative.nvmlDeviceGetPowerUsage(device, out _)) == NvmlNative.Success)
        {
            // A one-second moving average on Ampere and later: it lags the load, so it is never integrated.
            metrics.Add(new MetricInfo($"{gpu}_power_avg1s_w", gpu, MetricKind.Power, "W"));
            _readers.Add(() => NvmlNative.nvmlDeviceGetPowerUsage(device, out var mw) == NvmlNative.Success ? mw / 1000.0 : double.NaN);
            missing.Add(new MissingMetric(MetricKind.Power, $"{gpu}: instantaneous power is not supported; power is NVML's 1-second average"));
        }
        else missing.Add(new MissingMetric(MetricKind.Power, $"{gpu}: power is {Describe(rc)}"));

        if ((rc = NvmlNative.nvmlDeviceGetMemoryInfo(device, out _)) == NvmlNative.Success)
        {
            metrics.Add(new MetricInfo($"{gpu}_memory_used_bytes", gpu, MetricKind.Memory, "bytes"));
            _readers.Add(() => NvmlNative.nvmlDeviceGetMemoryInfo(device, out var m) == NvmlNative.Success ? m.Used : double.NaN);
        }
        else missing.Add(new MissingMetric(MetricKind.Memory, $"{gpu}: memory is {Describe(rc)}"));

        if ((rc = NvmlNative.nvmlDeviceGetTemperature(device, 0, out _)) == NvmlNative.Success)
        {
            metrics.Add(new MetricInfo($"{gpu}_temperature_c", gpu, MetricKind.Temperature, "C"));
            _readers.Add(() => NvmlNative.nvmlDeviceGetTemperature(device, 0, out var c) == NvmlNative.Success ? c : double.NaN);
        }
        else missing.Add(new MissingMetric(MetricKind.Temperature, $"{gpu}: temperature is {Describe(rc)}"));

        if (NvmlNative.nvmlDeviceGetClockInfo(device, 1, out _) == NvmlNative.Success)
        {
            metrics.Add(new MetricInfo($"{gpu}_sm_clock_mhz", gpu, MetricKind.Clock, "MHz"));
            _readers.Add(() => NvmlNative.nvmlDeviceGetClockInfo(device, 1, out var mhz) == NvmlNative.Success ? mhz : double.NaN);
        }
        if (NvmlNative.nvmlDeviceGetUtilizationRates(device, out _) == NvmlNative.Success)
        {
            metrics.Add(new MetricInfo($"{gpu}_utilization", gpu, MetricKind.Utilization, "fraction"));
            _readers.Add(() => NvmlNative.nvmlDeviceGetUtilizationRates(device, out var u) == NvmlNative.Success ? u.Gpu / 100.0 : double.NaN);
        }
    }

    /// <summary>Polls the counter every millisecond for up to 350 ms; the smallest interval between changes
    /// is its update period (windows shorter than a few periods read badly).</summary>
    private static double? LearnUpdatePeriod(IntPtr device)
    {
        var watch = Stopwatch.StartNew();
        ulong last = 0;
        double? lastChange = null, smallest = null;
        var first = true;
        while (watch.ElapsedMilliseconds < 350)
        {
            if (NvmlNative.nvmlDeviceGetTotalEnergyConsumption(device, out var mj) != NvmlNative.Success) return null;
            var t = watch.Elapsed.TotalMilliseconds;
            if (!first && mj != last)
            {
                if (lastChange is { } previous) smallest = Math.Min(smallest ?? double.MaxValue, t - previous);
                lastChange = t;
            }
            first = false;
            last = mj;
            Thread.Sleep(1);
        }
        return smallest;
    }

    private static string Describe(int rc) => rc == NvmlNative.NotSupported ? "not supported on this GPU" : $"unreadable ({NvmlNative.Error(rc)})";

    private TelemetryProbe Unavailable(string reason)
    {
        Dispose();
        return new TelemetryProbe(false, reason, [], [], "nvml");
    }

    public void Read(Span<double> values)
    {
        for (var i = 0; i < _readers.Count; i++) values[i] = _readers[i]();
    }

    public void Dispose()
    {
        if (!_initialized) return;
        _initialized = false;
        _readers.Clear();
        NvmlNative.nvmlShutdown();
    }

    /// <summary>The mJ counter, unwrapped: a value lower than the last means the counter restarted
    /// (driver reload); the energy before the restart is carried over.</summary>
    private sealed class EnergyCounter(IntPtr device)
    {
        private ulong _last;
        private double _offset;
        private bool _seen;

        public double ReadJoules()
        {
            if (NvmlNative.nvmlDeviceGetTotalEnergyConsumption(device, out var mj) != NvmlNative.Success) return double.NaN;
            if (_seen && mj < _last) _offset += _last;
            _seen = true;
            _last = mj;
            return (_offset + mj) / 1000.0;
        }
    }
}
