using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// One probe of <see cref="NvmlSource"/>: finds which of each GPU's metrics can be read, registers their readers with
/// the source in the order of <see cref="Metrics"/>, and says why the others cannot be read.
/// </summary>
internal sealed class NvmlProbe(NvmlSource source)
{
    private readonly List<(int Metric, string Gpu, IntPtr Device)> _counters = [];

    public List<MetricInfo> Metrics { get; } = [];
    public List<MissingMetric> Missing { get; } = [];
    public Dictionary<string, string> Details { get; } = [];
    public List<DeviceInfo> Devices { get; } = [];

    private void Add(MetricInfo metric, string gpu, Func<(int, double)> read)
    {
        Metrics.Add(metric);
        source.AddReader(gpu, metric.Name, read);
    }

    public void AddDevice(IntPtr device, string gpu)
    {
        var rc = NvmlNative.nvmlDeviceGetTotalEnergyConsumption(device, out _);
        if (rc == NvmlReturn.Success)
        {
            _counters.Add((Metrics.Count, gpu, device));
            Add(new MetricInfo($"{gpu}_energy_j", gpu, MetricKind.Energy, "J"), gpu, new EnergyCounter(device).Read);
        }
        else Missing.Add(new MissingMetric(MetricKind.Energy,
            $"{gpu}: the energy counter is {NvmlSource.Describe(rc)}{(rc == NvmlReturn.NotSupported ? " (it needs a Volta or newer GPU)" : "")}"));

        var power = NvmlPower.Choose(device, gpu);
        Details[$"{gpu}_power"] = power.Detail;
        if (power.Metric is { } p) Add(p, gpu, power.Read!);
        if (power.Missing is { } why) Missing.Add(why);

        AddMemory(device, gpu);

        if ((rc = NvmlNative.nvmlDeviceGetTemperature(device, 0, out _)) == NvmlReturn.Success)
            Add(new MetricInfo($"{gpu}_temperature_c", gpu, MetricKind.Temperature, "C"), gpu, () => Value(NvmlNative.nvmlDeviceGetTemperature(device, 0, out var c), c));
        else Missing.Add(new MissingMetric(MetricKind.Temperature, $"{gpu}: temperature is {NvmlSource.Describe(rc)}"));

        if ((rc = NvmlNative.nvmlDeviceGetClockInfo(device, 1, out _)) == NvmlReturn.Success)
            Add(new MetricInfo($"{gpu}_sm_clock_mhz", gpu, MetricKind.Clock, "MHz"), gpu, () => Value(NvmlNative.nvmlDeviceGetClockInfo(device, 1, out var mhz), mhz));
        else Missing.Add(new MissingMetric(MetricKind.Clock, $"{gpu}: the SM clock is {NvmlSource.Describe(rc)}"));

        if ((rc = NvmlNative.nvmlDeviceGetUtilizationRates(device, out _)) == NvmlReturn.Success)
            Add(new MetricInfo($"{gpu}_utilization", gpu, MetricKind.Utilization, "fraction"), gpu,
                () => Value(NvmlNative.nvmlDeviceGetUtilizationRates(device, out var u), u.Gpu / 100.0));
        else Missing.Add(new MissingMetric(MetricKind.Utilization, $"{gpu}: utilisation is {NvmlSource.Describe(rc)}"));
    }

    /// <summary>nvmlDeviceGetMemoryInfo_v2 where the driver has it: its used memory leaves out what the driver reserves
    /// for itself, which v1 counts as used. One or the other for the whole run, so the readings stay comparable.</summary>
    private void AddMemory(IntPtr device, string gpu)
    {
        var metric = new MetricInfo($"{gpu}_memory_used_bytes", gpu, MetricKind.Memory, "bytes");
        var v2 = NvmlNative.MemoryInfoV2(device, out _);
        if (v2 == NvmlReturn.Success)
        {
            Details[$"{gpu}_memory"] = "nvmlDeviceGetMemoryInfo_v2: allocated memory, without the driver's reserved memory";
            Add(metric, gpu, () => Value(NvmlNative.MemoryInfoV2(device, out var m), m.Used));
            return;
        }
        var v1 = NvmlNative.nvmlDeviceGetMemoryInfo(device, out _);
        if (v1 == NvmlReturn.Success)
        {
            Details[$"{gpu}_memory"] = $"nvmlDeviceGetMemoryInfo (v1): used includes the driver's reserved memory (v2: {NvmlReturn.Describe(v2)})";
            Add(metric, gpu, () => Value(NvmlNative.nvmlDeviceGetMemoryInfo(device, out var m), m.Used));
        }
        else Missing.Add(new MissingMetric(MetricKind.Memory, $"{gpu}: memory is {NvmlSource.Describe(v1)} (v2: {NvmlReturn.Describe(v2)})"));
    }

    private static (int, double) Value(int rc, double value) => (rc, rc == NvmlReturn.Success ? value : double.NaN);

    /// <summary>Learns every counter's update period at once, and says loudly where it stays unknown: the measurement
    /// then takes the counter as the slowest plausible and flags windows shorter than that.</summary>
    public void LearnUpdatePeriods()
    {
        if (_counters.Count == 0) return;
        var codes = new int[_counters.Count];
        var estimates = CounterPeriod.Learn(
            _counters.Select((c, i) => (Func<ulong?>)(() => (codes[i] = NvmlNative.nvmlDeviceGetTotalEnergyConsumption(c.Device, out var mj)) == NvmlReturn.Success ? mj : null)).ToList(),
            i => NvmlReturn.Describe(codes[i]));
        for (var i = 0; i < _counters.Count; i++)
        {
            var (index, gpu, _) = _counters[i];
            var estimate = estimates[i];
            Metrics[index] = estimate.Apply(Metrics[index]);
            Details[$"{gpu}_energy_update"] = estimate.Describe();
            Details[$"{gpu}_energy_update_ms"] = estimate.PeriodMs is { } ms ? ms.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) : "unknown";
            if (estimate.PeriodMs is null)
                Missing.Add(new MissingMetric(MetricKind.Energy, $"{gpu}: the energy counter's update period is {estimate.Describe()}; "
                    + $"it is taken as {MetricInfo.SlowestPlausiblePeriod.TotalSeconds:0} s, and windows shorter than that are flagged"));
        }
    }

    /// <summary>The mJ counter, unwrapped: a value lower than the last means the counter restarted
    /// (driver reload); the energy before the restart is carried over.</summary>
    private sealed class EnergyCounter(IntPtr device)
    {
        private ulong _last;
        private double _offset;
        private bool _seen;

        public (int, double) Read()
        {
            var rc = NvmlNative.nvmlDeviceGetTotalEnergyConsumption(device, out var mj);
            if (rc != NvmlReturn.Success) return (rc, double.NaN);
            if (_seen && mj < _last) _offset += _last;
            _seen = true;
            _last = mj;
            return (rc, (_offset + mj) / 1000.0);
        }
    }
}
