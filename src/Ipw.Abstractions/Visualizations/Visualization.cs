namespace Ipw.Abstractions;

/// <summary>What a visualization drew.</summary>
/// <param name="Files">The figures written.</param>
/// <param name="Notes">What was left out and why (a figure without data, points thinned for drawing), never silent.</param>
public sealed record VisualizationResult(IReadOnlyList<string> Files, IReadOnlyList<string> Notes);

/// <summary>A visualization: reads runs (one, or several overlaid), writes figures.</summary>
public interface IVisualization
{
    /// <summary>Draws the figures and hands them to <c>context.Output</c>.</summary>
    Task<VisualizationResult> RenderAsync(AnalysisContext context, CancellationToken cancellationToken);
}

/// <summary>A named factory for an <see cref="IVisualization"/>.</summary>
public sealed record VisualizationDescriptor(string Name, string Description, Func<IVisualization> Create)
    : EntryDescriptor(Name, Description);
