using System.Text.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Summary;

namespace Ipw.Core.Runs;

/// <summary>
/// The run store: the only writer of a run folder, in Hugging Face <c>datasets</c> on-disk format:
/// data-00000-of-00001.arrow (Arrow IPC stream, appended per query), dataset_info.json and state.json, so
/// <c>datasets.load_from_disk</c> opens it; plus summary.json and telemetry.arrow, every file written atomically
/// (<see cref="AtomicFile"/>); what analyses and plots hand over goes through <see cref="ArtifactFolder"/>.
/// </summary>
public sealed class RunStore : IDisposable
{
    public const string DataFileName = "data-00000-of-00001.arrow";
    public const string TelemetryFileName = "telemetry.arrow";
    public const string SummaryFileName = "summary.json";
    /// <summary>The file a run keeps the options it was given in, as TOML (<c>ipw profile --config</c> reads it).</summary>
    public const string ConfigFileName = "config.toml";
    /// <summary>A launched server's output (<c>ipw profile --launch</c>).</summary>
    public const string ServerLogFileName = "server.log";
    public const string AnalysisFolderName = "analysis";
    public const string PlotsFolderName = "plots";

    private readonly ArrowAppendWriter<QueryRecord> _records;
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Path { get; }
    public long RecordsWritten => _records.RowsWritten;

    private RunStore(string path)
    {
        Path = path;
        // Opening the data file with CreateNew claims the folder: two runs can never share it.
        _records = new ArrowAppendWriter<QueryRecord>(System.IO.Path.Combine(path, DataFileName), RecordSchema.Layout);
        try
        {
            WriteMetadata(path);
        }
        catch
        {
            _records.Discard();
            throw;
        }
    }

    private static void WriteMetadata(string path)
    {
        WriteJson(System.IO.Path.Combine(path, "state.json"), new JsonObject
        {
            ["_data_files"] = new JsonArray(new JsonObject { ["filename"] = DataFileName }),
            ["_fingerprint"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
            ["_format_columns"] = null,
            ["_format_kwargs"] = new JsonObject(),
            ["_format_type"] = null,
            ["_output_all_columns"] = false,
            ["_split"] = null,
        });
        WriteJson(System.IO.Path.Combine(path, "dataset_info.json"), new JsonObject
        {
            ["description"] = "ipw per-query records: one row per query (latency, tokens, telemetry, response)",
            ["citation"] = "",
            ["homepage"] = "",
            ["license"] = "",
            ["features"] = JsonSerializer.SerializeToNode(RecordSchema.Layout.HfFeatures()),
        });
    }

    /// <summary>Creates <c>&lt;outputDir&gt;/profile_&lt;hardware&gt;_&lt;model&gt;</c>; an existing run is never overwritten:
    /// the next free suffix (<c>-2</c>, <c>-3</c>, ...) is taken instead.</summary>
    public static RunStore Create(string outputDir, string hardwareLabel, string modelLabel, string? suffix = null)
    {
        var root = EnsureWritable(outputDir);
        var baseName = $"profile_{hardwareLabel}_{Hardware.HardwareInfo.Slug(modelLabel)}" + (suffix is null ? "" : $"_{suffix}");
        for (var n = 1; ; n++)
        {
            var path = System.IO.Path.Combine(root, n == 1 ? baseName : $"{baseName}-{n}");
            if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any()) continue; // an earlier run
            var created = !Directory.Exists(path);
            try
            {
                Directory.CreateDirectory(path);
                return new RunStore(path);
            }
            catch (IOException) when (File.Exists(System.IO.Path.Combine(path, DataFileName)))
            {
                // Another process claimed the same name a moment ago (a claim of ours that failed leaves no data file):
                // take the next suffix.
            }
            catch (IOException e)
            {
                // The disk is full, or the folder cannot be made: no name will do better, so say so once.
                if (created) TryRemove(path);
                throw new StorageError(StorageError.Describe(e, path), e);
            }
        }
    }

    private static void TryRemove(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the user: the error names the folder.
        }
    }

    /// <summary>Reopens a run folder to resume it: the data file is rewritten with the records the resumption keeps
    /// (<see cref="ResumePlan.Kept"/>: the earlier records, less those it sends again) in batches of their own, and telemetry.arrow is carried over when
    /// the sampler starts. The earlier files are moved aside first and removed once copied, so a process killed meanwhile
    /// leaves them to <see cref="RestoreSetAside"/>.</summary>
    /// <param name="onKept">Told of each kept record as it is copied (the resumed summary's totals start from them).</param>
    public static RunStore Resume(string folder, Action<QueryRecord> onKept)
    {
        RestoreSetAside(folder);
        var data = System.IO.Path.Combine(folder, DataFileName);
        var telemetry = System.IO.Path.Combine(folder, TelemetryFileName);
        RunStore? store = null;
        try
        {
            File.Move(data, data + SetAsideSuffix);
            if (File.Exists(telemetry)) File.Move(telemetry, telemetry + SetAsideSuffix);
            store = new RunStore(folder) { _priorTelemetry = telemetry + SetAsideSuffix };
            // Copied a batch at a time, never all held: the set-aside file is read as it is written anew.
            foreach (var batch in ResumePlan.Kept(RecordReader.Read(data + SetAsideSuffix)).Chunk(ArrowAppendWriter<QueryRecord>.CompactBatchRows))
            {
                store.Append(batch);
                foreach (var r in batch) onKept(r);
            }
            File.Delete(data + SetAsideSuffix);
            return store;
        }
        catch (IOException e)
        {
            store?._records.Discard();
            RestoreSetAside(folder);
            throw new StorageError(StorageError.Describe(e, folder) + ": the run was not resumed and is as it was", e);
        }
    }

    /// <summary>What an earlier file is called while a resumption copies it.</summary>
    public const string SetAsideSuffix = ".before-resume";

    /// <summary>Puts back files a resumption set aside and did not finish copying (the process was killed meanwhile): the
    /// set-aside file is whole, the copy may not be.</summary>
    public static void RestoreSetAside(string folder)
    {
        foreach (var name in new[] { DataFileName, TelemetryFileName })
        {
            var file = System.IO.Path.Combine(folder, name);
            if (!File.Exists(file + SetAsideSuffix)) continue;
            File.Move(file + SetAsideSuffix, file, overwrite: true);
        }
    }

    private string? _priorTelemetry;

    /// <summary>Creates the output folder if needed and checks a file can be written there.</summary>
    /// <returns>The folder's absolute path.</returns>
    public static string EnsureWritable(string outputDir)
    {
        var root = System.IO.Path.GetFullPath(outputDir);
        try
        {
            Directory.CreateDirectory(root);
            var probe = System.IO.Path.Combine(root, $".ipw-write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return root;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"output folder '{outputDir}' is not writable: {e.Message}");
        }
    }

    /// <summary>A sink writing the run's telemetry timeline to telemetry.arrow.</summary>
    public Telemetry.ITelemetrySink CreateTelemetrySink(long runStart) =>
        _telemetry = new TelemetryArrowSink(System.IO.Path.Combine(Path, TelemetryFileName), runStart, _priorTelemetry);

    private TelemetryArrowSink? _telemetry;

    /// <summary>The first write into the folder that failed (the disk is full): the files end at their last whole batch.
    /// Null while every write has succeeded.</summary>
    public IOException? Failure => _records.Failure ?? _telemetry?.Failure;

    /// <summary>Throws the first failed write, so the run stops on it (whichever writer met it).</summary>
    public void ThrowIfFailed()
    {
        if (Failure is { } e) throw new IOException(e.Message, e) { HResult = e.HResult };
    }

    /// <summary>Compiles the record-writing path on a throwaway record, so the first real write costs what later ones do.</summary>
    public void Prewarm() => _records.Prewarm(QueryRecord.Of(RecordColumns.Prompt.With("x"), RecordColumns.Response.With("y"), RecordColumns.EnergyJ.With(1), RecordColumns.Correct.With(true)));

    /// <summary>Appends one record; it is on disk (in the OS) when this returns.</summary>
    public void Append(QueryRecord record) => _records.Append(record);

    /// <summary>Appends several records in one batch and one write (under load, what completed together).</summary>
    public void Append(IReadOnlyList<QueryRecord> records) => _records.Append(records);

    /// <summary>Rewrites the records as the data file is compacted at close (the one pass that does): the final values of
    /// columns known only when the run ends, such as active energy against the baseline after the run.</summary>
    public void FinaliseRecords(Func<RecordBatch, RecordBatch> rewrite) => _records.Finalise = rewrite;

    /// <summary>Writes config.toml (the front end's options, secrets already left out) atomically; nothing when null.</summary>
    public void WriteConfig(string? toml)
    {
        if (toml is not null) AtomicFile.WriteAllText(System.IO.Path.Combine(Path, ConfigFileName), toml);
    }

    /// <summary>Moves a launched server's log (<c>--launch</c>) into the run folder as server.log (server-2.log, ... when a
    /// resumed run's earlier part has one); the server writes on through its open file. Returns the new path.</summary>
    public string AdoptServerLog(string log)
    {
        var target = System.IO.Path.Combine(Path, ServerLogFileName);
        for (var n = 2; File.Exists(target); n++) target = System.IO.Path.Combine(Path, $"server-{n}.log");
        File.Move(log, target);
        return target;
    }

    /// <summary>Writes summary.json atomically (write then rename), so a reader never sees half a file.</summary>
    public void WriteSummary(Summary.RunSummary summary) => WriteSummary(Path, summary);

    /// <summary>Writes <paramref name="folder"/>'s summary.json atomically (also for <c>ipw score</c>'s rewrite).</summary>
    public static void WriteSummary(string folder, Summary.RunSummary summary) =>
        AtomicFile.WriteAllText(System.IO.Path.Combine(folder, SummaryFileName), SummaryFile.Serialize(summary));

    private static void WriteJson(string path, JsonNode node) => AtomicFile.WriteAllText(path, node.ToJsonString(Json));

    /// <summary>The data file's path.</summary>
    public string DataPath => System.IO.Path.Combine(Path, DataFileName);

    /// <summary>Ends the data file and compacts it (with the rows' final values, when given); later appends fail.</summary>
    public void Close() => _records.Dispose();

    public void Dispose() => _records.Dispose();
}
