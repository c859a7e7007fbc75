using Ipw.Abstractions;

namespace Ipw.Plugins.Energy;

/// <summary>
/// Which of NVML's power readings a GPU gets. Field 186 (NVML_FI_DEV_POWER_INSTANT) is instantaneous on every
/// architecture, on drivers that have it. Without it, nvmlDeviceGetPowerUsage is what is left, and nvml.h says what it
/// is: a 1-second average on Ampere (except GA100) and newer, instantaneous on GA100 and older. An average lags the
/// load, so it is labelled <c>_power_avg1s_w</c> and never taken for instantaneous power.
/// </summary>
internal static class NvmlPower
{
    /// <summary>The reading chosen (null when none works), with what the probe should say about it.</summary>
    public sealed record Choice(MetricInfo? Metric, Func<(int Rc, double Watts)>? Read, string Detail, MissingMetric? Missing);

    public static Choice Choose(IntPtr device, string gpu)
    {
        var rc = NvmlNative.PowerField(device, NvmlNative.FieldPowerInstant, out var mw, out var type);
        if (rc == NvmlReturn.Success && !double.IsNaN(mw))
            return new Choice(new MetricInfo($"{gpu}_power_w", gpu, MetricKind.Power, "W"), () => Instant(device),
                "field 186 (NVML_FI_DEV_POWER_INSTANT): instantaneous", null);
        var field = rc == NvmlReturn.Success ? $"field 186 came typed {type}, a value type ipw does not know" : $"field 186: {NvmlReturn.Describe(rc)}";

        if ((rc = NvmlNative.nvmlDeviceGetPowerUsage(device, out _)) != NvmlReturn.Success)
            return new Choice(null, null, field, new MissingMetric(MetricKind.Power, $"{gpu}: power is {NvmlSource.Describe(rc)}"));
        var architecture = NvmlNative.Architecture(device);
        var (averaged, named) = Averages(architecture);
        Func<(int, double)> usage = () => Usage(device);
        if (!averaged)
            return new Choice(new MetricInfo($"{gpu}_power_w", gpu, MetricKind.Power, "W"), usage,
                $"nvmlDeviceGetPowerUsage: instantaneous on {named} ({field})", null);
        return new Choice(new MetricInfo($"{gpu}_power_avg1s_w", gpu, MetricKind.Power, "W"), usage,
            $"nvmlDeviceGetPowerUsage: NVML's 1-second average on {named} ({field})",
            new MissingMetric(MetricKind.Power, $"{gpu}: instantaneous power is not supported ({field}); power is NVML's 1-second average on {named}"));
    }

    private static (int, double) Instant(IntPtr device)
    {
        var rc = NvmlNative.PowerField(device, NvmlNative.FieldPowerInstant, out var mw, out _);
        return (rc, mw / 1000.0);
    }

    private static (int, double) Usage(IntPtr device)
    {
        var rc = NvmlNative.nvmlDeviceGetPowerUsage(device, out var mw);
        return (rc, rc == NvmlReturn.Success ? mw / 1000.0 : double.NaN);
    }

    /// <summary>Whether nvmlDeviceGetPowerUsage averages on this architecture, and the architecture's name. GA100 is
    /// told from the rest of Ampere by its compute capability, 8.0. An architecture the driver cannot name is taken to
    /// average, as every GPU since Ampere does.</summary>
    internal static (bool Averaged, string Name) Averages((uint Architecture, int Major, int Minor)? architecture)
    {
        if (architecture is not { } a) return (true, "this GPU (its architecture is unknown; taken as averaged)");
        if (a.Architecture == NvmlNative.ArchAmpere)
            return a.Major == 8 && a.Minor == 0 ? (false, "Ampere GA100 (compute capability 8.0)")
                : (true, a.Major < 0 ? "Ampere" : $"Ampere (compute capability {a.Major}.{a.Minor})");
        var name = a.Architecture switch
        {
            2 => "Kepler",
            3 => "Maxwell",
            4 => "Pascal",
            5 => "Volta",
            6 => "Turing",
            8 => "Ada",
            9 => "Hopper",
            10 => "Blackwell",
            13 => "Rubin",
            NvmlNative.ArchUnknown => "an architecture the driver does not name (presumably newer)",
            _ => $"architecture {a.Architecture} (newer than ipw knows)",
        };
        return (a.Architecture > NvmlNative.ArchAmpere, name);
    }
}
