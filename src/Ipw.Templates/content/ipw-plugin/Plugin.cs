using Ipw.Abstractions;

namespace IpwPlugin1;

/// <summary>What this plugin adds to ipw. ipw finds the class by its interface and calls <see cref="Register"/> once,
/// at start; keep it cheap (no native code loaded, nothing read from the network): work belongs in the factories.</summary>
public sealed class Plugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
#if (kind == "client")
        registry.AddClient(new ClientDescriptor("ipwplugin1", "echoes each prompt back, word by word (a client to start from)", options => new EchoClient(options)));
#elif (kind == "dataset")
        registry.AddDataset(new DatasetDescriptor("ipwplugin1", "three arithmetic questions (a dataset to start from)", options => new SumsDataset(options)));
#elif (kind == "telemetry")
        registry.AddTelemetrySource(new TelemetrySourceDescriptor("ipwplugin1", "this process's CPU time (a telemetry source to start from)", _ => new ProcessCpuSource()));
#elif (kind == "analysis")
        registry.AddAnalysis(new AnalysisDescriptor("ipwplugin1", "queries and mean end-to-end latency per run (an analysis to start from)", () => new LatencyCount()));
#elif (kind == "visualization")
        registry.AddVisualization(new VisualizationDescriptor("ipwplugin1", "end-to-end latency of each query as an SVG bar chart (a figure to start from)", () => new LatencyBars()));
#else
        registry.AddGrader(new GraderDescriptor("ipwplugin1", "right when the answer contains the reference, ignoring case (a grader to start from)", _ => new ContainsGrader()));
#endif
    }
}
