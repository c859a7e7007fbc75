namespace Ipw.Abstractions;

/// <summary>Read access to one finished (or interrupted) run folder.</summary>
public interface IRunView
{
    /// <summary>The run folder.</summary>
    string Directory { get; }

    /// <summary>The raw summary.json text.</summary>
    string SummaryJson { get; }

    /// <summary>Number of per-query records.</summary>
    long RecordCount { get; }

    /// <summary>The per-query columns.</summary>
    IReadOnlyList<string> Columns { get; }

    /// <summary>A numeric column as doubles; missing values are null (never 0).</summary>
    IReadOnlyList<double?> Numbers(string column);

    /// <summary>A text column; missing values are null.</summary>
    IReadOnlyList<string?> Texts(string column);
}

/// <summary>What an analysis or visualization works on and where it writes.</summary>
/// <param name="Runs">The runs to analyse.</param>
/// <param name="OutputDirectory">Where to write results.</param>
public sealed record AnalysisContext(IReadOnlyList<IRunView> Runs, string OutputDirectory);

/// <summary>An analysis: reads runs, writes analysis/&lt;name&gt;.json.</summary>
public interface IAnalysis
{
    /// <summary>Runs the analysis and returns the files written.</summary>
    Task<IReadOnlyList<string>> RunAsync(AnalysisContext context, CancellationToken cancellationToken);
}

/// <summary>A visualization: reads runs (and their analyses), writes figures.</summary>
public interface IVisualization
{
    /// <summary>Draws the figures and returns the files written.</summary>
    Task<IReadOnlyList<string>> RenderAsync(AnalysisContext context, CancellationToken cancellationToken);
}
