using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// NVIDIA GPUs through NVML: per device the total-energy counter (mJ, unwrapped across resets), power (see
/// <see cref="NvmlPower"/>), memory used, temperature, SM clock and utilisation. Only the GPUs the service uses are read
/// (<see cref="TelemetrySourceOptions.Gpus"/>, as indices). The counters' update period is learned at start-up. A read
/// that fails while sampling (a GPU lost mid-run) is a gap (NaN), never 0, and is noted once per GPU and code.
/// </summary>
internal sealed class NvmlSource(TelemetrySourceOptions options) : ITelemetrySource, ITelemetryNotes, ICounterReads
{
    private readonly List<Func<double>> _readers = [];
    private int[] _energy = [];
    private readonly Dictionary<(string Gpu, int Rc), string> _failures = [];
    private readonly Stopwatch _sinceProbe = new();
    private bool _initialized;

    /// <summary>Loads the library and calls nvmlInit; returns why it failed, or null on success.</summary>
    private static string? Initialize()
    {
        NvmlNative.EnsureResolver();
        try
        {
            var rc = NvmlNative.nvmlInit_v2();
            return rc == NvmlReturn.Success ? null : NvmlReturn.InitFailure(rc);
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

    /// <summary>Cheap availability for <c>ipw list</c>: load the library, initialise, count GPUs; no reads. NVML counts
    /// initialisations, so this leaves a live source's session alone.</summary>
    public static Availability QuickCheck()
    {
        if (Initialize() is { } why) return Availability.No(why);
        try
        {
            var rc = NvmlNative.nvmlDeviceGetCount_v2(out var count);
            return rc != NvmlReturn.Success ? Availability.No($"nvmlDeviceGetCount failed: {NvmlReturn.Describe(rc)}")
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
        _sinceProbe.Restart();

        var rc = NvmlNative.nvmlDeviceGetCount_v2(out var count);
        if (rc != NvmlReturn.Success) return Unavailable($"nvmlDeviceGetCount failed: {NvmlReturn.Describe(rc)}");
        if (count == 0) return Unavailable("NVML found no GPU");
        var (indices, selection) = Select(options.Gpus, (int)count, "NVML");
        if (indices is null) return Unavailable(selection);

        var probe = new NvmlProbe(this);
        probe.Details["selection"] = selection;
        foreach (var index in indices)
        {
            rc = NvmlNative.nvmlDeviceGetHandleByIndex_v2((uint)index, out var device);
            if (rc != NvmlReturn.Success)
            {
                probe.Missing.Add(new MissingMetric(MetricKind.Energy, $"gpu{index}: no handle ({NvmlReturn.Describe(rc)})"));
                continue;
            }
            var gpu = $"gpu{index}";
            var name = NvmlNative.Name(device);
            probe.Details[$"{gpu}_name"] = name;
            probe.Devices.Add(new DeviceInfo(gpu, "gpu", name));
            probe.AddDevice(device, gpu);
        }
        probe.LearnUpdatePeriods();
        _energy = probe.Metrics.Select((m, i) => (m, i)).Where(x => x.m.Kind == MetricKind.Energy).Select(x => x.i).ToArray();
        if (probe.Metrics.Count == 0)
            return new TelemetryProbe(false, "no metric of the selected GPUs can be read", [], probe.Missing, "nvml") { Details = probe.Details, Devices = probe.Devices };
        return new TelemetryProbe(true, null, probe.Metrics, probe.Missing, "nvml: energy counter deltas; power as the details say")
        { Details = probe.Details, Devices = probe.Devices };
    }

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

    /// <summary>"not supported on this GPU (NVML_ERROR_NOT_SUPPORTED)", or "unreadable: ..." with NVML's words and the code.</summary>
    internal static string Describe(int rc) => rc == NvmlReturn.NotSupported
        ? $"not supported on this GPU ({NvmlReturn.Name(rc)})"
        : $"unreadable: {NvmlReturn.Describe(rc)}";

    /// <summary>Adds a reader whose failures are gaps (NaN), each new (GPU, code) noted once.</summary>
    internal void AddReader(string gpu, string metric, Func<(int Rc, double Value)> read) => _readers.Add(() =>
    {
        var (rc, value) = read();
        if (rc == NvmlReturn.Success) return value;
        lock (_failures)
        {
            if (!_failures.ContainsKey((gpu, rc)))
                _failures[(gpu, rc)] = string.Create(CultureInfo.InvariantCulture,
                    $"{gpu}: {NvmlReturn.Describe(rc)} {_sinceProbe.Elapsed.TotalSeconds:0.0} s after the probe, first on {metric}; failed reads are gaps (NaN), not 0");
        }
        return double.NaN;
    });

    public IReadOnlyList<string> Notes
    {
        get
        {
            lock (_failures) return _failures.Values.ToList();
        }
    }

    private TelemetryProbe Unavailable(string reason)
    {
        Dispose();
        return new TelemetryProbe(false, reason, [], [], "nvml");
    }

    public void Read(Span<double> values)
    {
        for (var i = 0; i < _readers.Count; i++) values[i] = _readers[i]();
    }

    /// <summary>The energy counters: one driver call each, read alone between samples.</summary>
    public IReadOnlyList<int> Counters => _energy;

    public void ReadCounters(Span<double> values)
    {
        foreach (var i in _energy) values[i] = _readers[i]();
    }

    public void Dispose()
    {
        if (!_initialized) return;
        _initialized = false;
        _readers.Clear();
        _energy = [];
        lock (_failures) _failures.Clear();
        NvmlNative.nvmlShutdown();
    }
}
