namespace Ipw.Core.Export;

/// <summary>The file formats <c>ipw export</c> writes a run's records in.</summary>
public enum ExportFormat
{
    /// <summary>RFC 4180 CSV with a header row: a missing value is an empty field, an empty text <c>""</c>; lists are
    /// JSON text.</summary>
    Csv,

    /// <summary>One JSON object per line: a missing value is <c>null</c>, lists are arrays.</summary>
    Jsonl,

    /// <summary>Parquet with typed, nullable columns: int64, double, boolean, string, a UTC timestamp for
    /// <c>started_at</c>, and lists of double.</summary>
    Parquet,
}
