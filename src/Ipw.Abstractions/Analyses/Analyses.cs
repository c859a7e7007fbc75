namespace Ipw.Abstractions;

/// <summary>Read access to one finished (or interrupted) run folder.</summary>
public interface IRunView
{
    /// <summary>The run folder.</summary>
    string Directory { get; }

    /// <summary>A short name for tables and legends (model, hardware and load point).</summary>
    string Label { get; }

    /// <summary>The raw summary.json text.</summary>
    string SummaryJson { get; }

    /// <summary>Number of per-query records.</summary>
    long RecordCount { get; }

    /// <summary>The per-query columns.</summary>
    IReadOnlyList<string> Columns { get; }

    /// <summary>A numeric column (booleans as 1 and 0) as doubles; a missing value is NaN, never 0. The array is
    /// shared: do not change it.</summary>
    /// <exception cref="ArgumentException">No such column, or not a numeric one.</exception>
    double[] Numbers(string column);

    /// <summary>A text column; missing values are null.</summary>
    /// <exception cref="ArgumentException">No such column, or not a text one.</exception>
    IReadOnlyList<string?> Texts(string column);

    /// <summary>A list-of-numbers column (<c>step_durations_s</c>, <c>itl_s</c>, ...), one pass; a row without a value is
    /// null. A view that cannot read lists says so.</summary>
    /// <exception cref="ArgumentException">No such column, or not a list of numbers.</exception>
    IReadOnlyList<double[]?> NumberLists(string column) => throw new NotSupportedException($"this run view does not read list columns ({column})");

    /// <summary>The telemetry samples (telemetry.arrow), when the run has them: one series per metric.</summary>
    IReadOnlyList<TelemetrySeries> Telemetry();
}

/// <summary>One telemetry metric over a run.</summary>
/// <param name="Metric">The metric name, e.g. "gpu0_power_w".</param>
/// <param name="Unit">Its unit.</param>
/// <param name="TimesS">Seconds since the run started.</param>
/// <param name="Values">The readings.</param>
public sealed record TelemetrySeries(string Metric, string Unit, double[] TimesS, double[] Values);

/// <summary>What an analysis or visualization works on and where it writes.</summary>
/// <param name="Runs">The runs to analyse: one for a run's own analysis, several for a comparison.</param>
/// <param name="Output">Where to hand results.</param>
/// <param name="Format">For figures: "png" or "svg".</param>
public sealed record AnalysisContext(IReadOnlyList<IRunView> Runs, IArtifactSink Output, string Format = "png")
{
    /// <summary>What the user gave the analyses (<c>ipw analyze --reference RUN</c> as <c>reference</c>, the run's folder;
    /// <c>--router-accuracy</c> as <c>router_accuracy</c>; <c>--seed</c> as <c>seed</c>); empty when nothing was given.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
}

/// <summary>Where analyses and visualizations hand what they made: the host writes it into the run's folder
/// (<c>analysis/</c>, <c>plots/</c>) atomically. A plugin never writes into a run folder itself.</summary>
public interface IArtifactSink
{
    /// <summary>Stores an artifact named <paramref name="fileName"/> (e.g. "regression.json", "latency_cdf.png") and
    /// returns the path it was written to.</summary>
    string Write(string fileName, ReadOnlySpan<byte> content);
}

/// <summary>What an analysis produced.</summary>
/// <param name="Files">The files written (analysis/&lt;name&gt;.json).</param>
/// <param name="Table">A readable table for the terminal.</param>
/// <param name="Headline">A few numbers for the side-by-side comparison of runs (null: not available).</param>
/// <param name="Warnings">Missing or suspicious data, counted: never hidden.</param>
public sealed record AnalysisResult(IReadOnlyList<string> Files, string Table, IReadOnlyDictionary<string, double?> Headline, IReadOnlyList<string> Warnings)
{
    /// <summary>The tables behind <see cref="Table"/>, cell by cell, for a report that draws real tables; empty when the
    /// analysis gives only text.</summary>
    public IReadOnlyList<ResultTable> Tables { get; init; } = [];
}

/// <summary>One table of an analysis's result: its column names and its rows of formatted cells (units in the cells or
/// the names), and a line said under it.</summary>
public sealed record ResultTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>A sentence under the table; null when none.</summary>
    public string? Note { get; init; }
}

/// <summary>An analysis: reads one run, writes analysis/&lt;name&gt;.json; or, one that works across runs
/// (<see cref="AnalysisDescriptor.AcrossRuns"/>), reads every run given and writes beside them.</summary>
public interface IAnalysis
{
    /// <summary>Runs the analysis on <c>context.Runs[0]</c>, or across all of <c>context.Runs</c>.</summary>
    Task<AnalysisResult> RunAsync(AnalysisContext context, CancellationToken cancellationToken);
}

/// <summary>A named factory for an <see cref="IAnalysis"/>.</summary>
public sealed record AnalysisDescriptor(string Name, string Description, Func<IAnalysis> Create)
    : EntryDescriptor(Name, Description)
{
    /// <summary>The analysis works across runs (coverage, routing, frontier): it runs once over every run given, its
    /// file written beside them (where <c>comparison.json</c> goes), instead of once per run.</summary>
    public bool AcrossRuns { get; init; }
}
