using Ipw.Abstractions;
using Ipw.Plugins.Energy;

namespace Ipw.Plugins.Energy.Tests;

/// <summary>
/// Tests of the nvml backend against the NVML stand-in (native/nvml-standin: NVML's ABI, return codes and
/// initialisation rules, scripted readings), loaded through the real P/Invoke path; these machines have no NVIDIA GPU.
/// The stand-in reads its script at the first nvmlInit after the last shutdown, so each test writes its own and
/// probes afresh.
/// </summary>
[Collection("nvml")]
public abstract class NvmlStandinTest : IDisposable
{
    private static readonly string Library = NativeEnvironment.StandinLibrary("nvml-standin/libnvidia-ml.so.1");
    private readonly string _config = Path.GetTempFileName();

    protected NvmlStandinTest()
    {
        Environment.SetEnvironmentVariable(NvmlNative.LibraryVariable, Library);
        NativeEnvironment.Set("IPW_NVML_STANDIN_CONFIG", _config);
    }

    protected void Script(params string[] lines) => File.WriteAllLines(_config, lines);

    /// <summary>Where the probe put the named metric in what <see cref="NvmlSource.Read"/> fills.</summary>
    protected static int Index(TelemetryProbe probe, string name) => probe.Metrics.Select(m => m.Name).ToList().IndexOf(name) is >= 0 and var i
        ? i
        : throw new InvalidOperationException($"no metric {name}: {string.Join(", ", probe.Metrics.Select(m => m.Name))}");

    public void Dispose()
    {
        File.Delete(_config);
        GC.SuppressFinalize(this);
    }
}

[CollectionDefinition("nvml", DisableParallelization = true)]
public sealed class NvmlCollection;
