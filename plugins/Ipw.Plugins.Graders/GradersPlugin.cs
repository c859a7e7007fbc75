using Ipw.Abstractions;

namespace Ipw.Plugins.Graders;

/// <summary>Registers the offline graders: <c>exact</c>, <c>numeric[:tolerance]</c>, <c>choice</c>, <c>contains</c>
/// and <c>regex:PATTERN</c>. (The <c>judge</c> grader is the host's: it runs from <c>ipw score</c>, after the run.)</summary>
public sealed class GradersPlugin : IIpwPlugin
{
    /// <inheritdoc/>
    public void Register(IPluginRegistry registry)
    {
        registry.AddGrader(ExactGrader.Descriptor);
        registry.AddGrader(NumericGrader.Descriptor);
        registry.AddGrader(ChoiceGrader.Descriptor);
        registry.AddGrader(ContainsGrader.Descriptor);
        registry.AddGrader(RegexGrader.Descriptor);
    }
}
