using System.Diagnostics;
using Ipw.Abstractions;

namespace IpwPlugin1;

/// <summary>This process's CPU time, read each sample: replace with your meter. <see cref="Probe"/> says once what the
/// source reads here (or why it cannot: Available false with a reason), <see cref="Read"/> fills one value per metric
/// each sample. A cumulative counter (energy in joules, CPU seconds) is best: ipw differences it per query.</summary>
internal sealed class ProcessCpuSource : ITelemetrySource
{
    private readonly Process _process = Process.GetCurrentProcess();

    public TelemetryProbe Probe() => new(true, null,
        [new MetricInfo("ipwplugin1_cpu_s", "process", MetricKind.CpuTime, "s")], [], "Process.TotalProcessorTime");

    public void Read(Span<double> values)
    {
        _process.Refresh();
        values[0] = _process.TotalProcessorTime.TotalSeconds;
    }

    public void Dispose() => _process.Dispose();
}
