using Ipw.Abstractions;

namespace Ipw.Core.Plugins;

/// <summary>Every registry the host fills, plus the plugins that failed to load.</summary>
public sealed class PluginRegistries
{
    public Registry<ClientDescriptor> Clients { get; } = new("client");
    public Registry<DatasetDescriptor> Datasets { get; } = new("dataset");
    public Registry<TelemetrySourceDescriptor> Telemetry { get; } = new("energy backend");
    public Registry<AnalysisDescriptor> Analyses { get; } = new("analysis");
    public Registry<VisualizationDescriptor> Visualizations { get; } = new("visualization");
    public Registry<LoadDescriptor> Loads { get; } = new("load");
    public Registry<GraderDescriptor> Graders { get; } = new("grader");
    public Registry<AgentDescriptor> Agents { get; } = new("agent");

    public List<PluginIdentity> Loaded { get; } = [];
    public List<PluginFailure> Failures { get; } = [];

    /// <summary>Registers a plugin object that lives in the host's own load context (scripts, embedding hosts, tests):
    /// the same registration path a loaded plugin takes, without an assembly on disk.</summary>
    /// <returns>Registration problems (duplicate names); empty when all went well.</returns>
    public IReadOnlyList<string> RegisterInProcess(IIpwPlugin plugin, string? name = null)
    {
        var type = plugin.GetType();
        var identity = new PluginIdentity(name ?? type.Assembly.GetName().Name ?? type.Name, "(in process)",
            type.Assembly.GetName().Version?.ToString() ?? "0.0.0");
        var problems = new List<string>();
        plugin.Register(For(identity, problems));
        Loaded.Add(identity);
        return problems;
    }

    /// <summary>A registry view that stamps every entry with its plugin. Registration problems are
    /// collected, so one plugin's mistake does not hide another's entries.</summary>
    internal IPluginRegistry For(PluginIdentity plugin, List<string> problems) => new Scoped(this, plugin, problems);

    private sealed class Scoped(PluginRegistries owner, PluginIdentity plugin, List<string> problems) : IPluginRegistry
    {
        public void AddClient(ClientDescriptor d) => Guard(() => owner.Clients.Add(d, plugin));
        public void AddDataset(DatasetDescriptor d) => Guard(() => owner.Datasets.Add(d, plugin));
        public void AddTelemetrySource(TelemetrySourceDescriptor d) => Guard(() => owner.Telemetry.Add(d, plugin));
        public void AddAnalysis(AnalysisDescriptor d) => Guard(() => owner.Analyses.Add(d, plugin));
        public void AddVisualization(VisualizationDescriptor d) => Guard(() => owner.Visualizations.Add(d, plugin));
        public void AddLoad(LoadDescriptor d) => Guard(() => owner.Loads.Add(d, plugin));
        public void AddAgent(AgentDescriptor d) => Guard(() => owner.Agents.Add(d, plugin));

        public void AddGrader(GraderDescriptor d) => Guard(() =>
        {
            // A grader is named as name[:argument], and judge is the host's deferred grader (ipw score).
            if (d.Name.Contains(':', StringComparison.Ordinal))
                throw new InvalidOperationException($"grader '{d.Name}' of '{plugin.Name}': a grader name cannot contain ':'");
            if (string.Equals(d.Name.Trim(), Scoring.GraderSet.JudgeName, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"grader '{d.Name}' of '{plugin.Name}': the name is the host's (the judge run by ipw score)");
            owner.Graders.Add(d, plugin);
        });

        private void Guard(Action add)
        {
            try { add(); }
            catch (InvalidOperationException e) { problems.Add(e.Message); }
        }
    }
}
