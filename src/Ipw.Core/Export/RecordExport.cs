using System.Diagnostics;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Abstractions;
using Ipw.Core.Runs;

namespace Ipw.Core.Export;

/// <summary>What one export wrote.</summary>
/// <param name="Path">The file written; null for a stream.</param>
/// <param name="Rows">Records written.</param>
/// <param name="Bytes">Bytes written to the file; 0 for a stream.</param>
public sealed record ExportResult(string Run, string? Path, long Rows, long Bytes, TimeSpan Elapsed);

/// <summary>
/// <c>ipw export</c>: a run's per-query records (every column of its data file, named as there, or the ones asked for)
/// written as CSV, JSON Lines or Parquet. The data file is read a batch at a time, as every reader of it does, and each
/// batch is written before the next is read. A file is written whole or not at all (a temporary file beside it, renamed
/// at the end), so a bad column, an unreadable record or a full disk leaves nothing half-written behind.
/// </summary>
public static class RecordExport
{
    /// <summary>The folder in a run that exports go to by default: <c>export/records.EXT</c>.</summary>
    public const string FolderName = "export";

    /// <summary>The formats, as named on the command line.</summary>
    public static IReadOnlyList<string> FormatNames { get; } = ["csv", "jsonl", "parquet"];

    /// <exception cref="UserError">Not a format export writes.</exception>
    public static ExportFormat ParseFormat(string text) => text.Trim().ToLowerInvariant() switch
    {
        "csv" => ExportFormat.Csv,
        "jsonl" => ExportFormat.Jsonl,
        "parquet" => ExportFormat.Parquet,
        _ => throw new UserError($"unknown export format '{text}' (csv, jsonl or parquet)"),
    };

    /// <summary>The file extension of a format, without the dot.</summary>
    public static string Extension(ExportFormat format) => format.ToString().ToLowerInvariant();

    /// <summary>Where a run's export goes unless told: <c>RUN/export/records.EXT</c>.</summary>
    public static string DefaultPath(string run, ExportFormat format) => Path.Combine(run, FolderName, $"records.{Extension(format)}");

    /// <summary>Writes a run's records to <paramref name="path"/> (null: <see cref="DefaultPath"/>), whole or not at all.</summary>
    /// <param name="columns">The columns to write, in order; null for every one.</param>
    /// <exception cref="UserError">A column the run lacks, a record that cannot be read, a folder that does not exist.</exception>
    /// <exception cref="StorageError">The disk refused the write.</exception>
    public static async Task<ExportResult> ToFileAsync(string run, ExportFormat format, string? path, IReadOnlyList<string>? columns,
        CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        using var records = RunRecords.Open(run, columns);
        var target = Path.GetFullPath(path ?? DefaultPath(run, format));
        if (Directory.Exists(target)) throw new UserError($"'{target}' is a folder; give the file to write");
        var folder = Path.GetDirectoryName(target)!;
        if (path is not null && !Directory.Exists(folder)) throw new UserError($"cannot write '{target}': no such folder '{folder}'");
        var made = !Directory.Exists(folder);
        long rows = 0;
        try
        {
            Directory.CreateDirectory(folder);
            await AtomicFile.WriteAsync(target, async temp =>
            {
                await using var file = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: false);
                rows = await WriteAsync(records, file, format, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Nothing is left behind: the temporary file is gone already, and so goes the export folder made for it.
            if (made && Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
            if (e is IOException io) throw new StorageError($"{StorageError.Describe(io, target)}; nothing was written", io);
            if (e is UnauthorizedAccessException) throw new UserError($"cannot write '{target}': {e.Message}");
            throw;
        }
        return new ExportResult(run, target, rows, new FileInfo(target).Length, watch.Elapsed);
    }

    /// <summary>Writes a run's records to <paramref name="output"/> (standard output): CSV or JSON Lines, which are written
    /// front to back; Parquet's footer points back into the file, so it needs one.</summary>
    /// <exception cref="UserError">Parquet, or as for <see cref="ToFileAsync"/>.</exception>
    public static async Task<ExportResult> ToStreamAsync(string run, ExportFormat format, Stream output, IReadOnlyList<string>? columns,
        CancellationToken cancellationToken = default)
    {
        if (format == ExportFormat.Parquet) throw new UserError("parquet cannot go to standard output (its footer points back into the file): give --output FILE");
        var watch = Stopwatch.StartNew();
        using var records = RunRecords.Open(run, columns);
        long rows;
        try
        {
            rows = await WriteAsync(records, output, format, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new StorageError($"cannot write to standard output: {e.Message}", e);
        }
        return new ExportResult(run, null, rows, 0, watch.Elapsed);
    }

    private static Task<long> WriteAsync(RunRecords records, Stream output, ExportFormat format, CancellationToken cancellationToken) => format switch
    {
        ExportFormat.Csv => CsvExport.WriteAsync(output, records.Columns, records.Batches(), cancellationToken),
        ExportFormat.Jsonl => JsonlExport.WriteAsync(output, records.Columns, records.Batches(), cancellationToken),
        _ => ParquetExport.WriteAsync(output, records.Columns, records.Batches(), records.DataPath, cancellationToken),
    };

    /// <summary>A run's data file opened for export: its schema read and the columns chosen before anything is written.</summary>
    private sealed class RunRecords : IDisposable
    {
        private readonly FileStream _input;
        private readonly ArrowStreamReader _reader;

        private RunRecords(string dataPath, FileStream input, ArrowStreamReader reader, IReadOnlyList<ExportColumn> columns)
        {
            DataPath = dataPath;
            _input = input;
            _reader = reader;
            Columns = columns;
        }

        public string DataPath { get; }

        public IReadOnlyList<ExportColumn> Columns { get; }

        public static RunRecords Open(string run, IReadOnlyList<string>? wanted)
        {
            var dataPath = Path.Combine(run, RunStore.DataFileName);
            if (!File.Exists(dataPath)) throw new UserError($"'{run}' is not a run folder (it has no {RunStore.DataFileName})");
            var input = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
            var reader = new ArrowStreamReader(input);
            try
            {
                Schema? schema;
                try
                {
                    schema = reader.Schema;
                }
                catch (Exception e) when (RecordReader.Unreadable(e))
                {
                    throw new UserError($"{dataPath}: cannot read the records ({RecordReader.Why(e)})");
                }
                if (schema is null) throw new UserError($"{dataPath}: cannot read the records (the file holds no Arrow schema)");
                return new RunRecords(dataPath, input, reader, ExportColumn.Of(schema, wanted, dataPath));
            }
            catch
            {
                reader.Dispose();
                input.Dispose();
                throw;
            }
        }

        /// <summary>The file's batches in order, each disposed once the writer has moved past it.</summary>
        public IEnumerable<RecordBatch> Batches()
        {
            foreach (var batch in RecordReader.Batches(_reader, DataPath))
            {
                using (batch) yield return batch;
            }
        }

        public void Dispose()
        {
            _reader.Dispose();
            _input.Dispose();
        }
    }
}
