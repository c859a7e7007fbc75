using Apache.Arrow.Ipc;
using Ipw.Core.Profiling;
using Ipw.Core.Summary;

namespace Ipw.Core.Runs;

/// <summary>What <c>ipw repair</c> did to one run.</summary>
public sealed record RepairOutcome(string RunPath, bool Repaired, long Records, long DataBytesCut, long TelemetryBytesCut, string Status);

/// <summary>
/// Mends a run cut short (the process killed, SIGKILL, a full disk): a torn last batch is cut off the data file and
/// telemetry.arrow, so each ends at its last whole batch; summary.json is rebuilt from the records (counts, tokens, the
/// serving figures), keeps what the run said of itself (config, model, hardware, energy as last written), and says it
/// was repaired. A run that ended cleanly is left as it is; a run whose process is alive is refused.
/// </summary>
public static class RunRepair
{
    public static RepairOutcome Repair(string folder)
    {
        var data = Path.Combine(folder, RunStore.DataFileName);
        if (!Directory.Exists(folder)) throw new UserError($"'{folder}': no such folder");
        if (!File.Exists(data) && !File.Exists(data + RunStore.SetAsideSuffix)) throw new UserError($"'{folder}' is not a run folder (it has no {RunStore.DataFileName})");
        var summaryPath = Path.Combine(folder, RunStore.SummaryFileName);
        var old = ReadSummary(summaryPath);
        if (old is not null && RunState.IsLive(old))
            throw new UserError($"'{folder}' is still running (process {old.Runner!.Pid}); repair a run only once its process has ended");

        RunStore.RestoreSetAside(folder); // a resumption killed while it copied the earlier files
        var dataCut = CutTornBatch(data);
        var telemetry = Path.Combine(folder, RunStore.TelemetryFileName);
        var telemetryCut = File.Exists(telemetry) ? CutTornBatch(telemetry) : 0;
        var (totals, records, span) = Tally(data, old);
        var whole = old is not null && old.Status != "running" && old.Counts?.RecordsOnDisk == records && dataCut == 0 && telemetryCut == 0;
        if (whole) return new RepairOutcome(folder, false, records, 0, 0, old!.Status);

        var status = old is null || old.Status == "running" ? "interrupted" : old.Status;
        var now = DateTimeOffset.UtcNow.ToString("O");
        var summary = (old ?? new RunSummary { SchemaVersion = RunSummary.CurrentSchema, IpwVersion = Profiler.IpwVersion }) with
        {
            Status = status,
            Failure = old?.Failure ?? "the process ended before the run did; summary rebuilt from the records by ipw repair",
            UpdatedAt = now,
            EndedAt = old?.EndedAt ?? now,
            Counts = totals.Counts(records),
            Totals = totals.Totals(),
            Serving = totals.Serving.ToSection(old?.Config?.Percentiles ?? [99], span),
            Intelligence = totals.Intelligence.ToSection(old?.Energy is { Available: false } energy ? energy.Reason : null),
            Repair = new RepairSection(now, records, dataCut, telemetryCut),
        };
        try
        {
            RunStore.WriteSummary(folder, summary);
        }
        catch (IOException e)
        {
            throw new StorageError($"{StorageError.Describe(e, folder)}: summary.json could not be rebuilt; free some space and repair again", e);
        }
        return new RepairOutcome(folder, true, records, dataCut, telemetryCut, status);
    }

    private static RunSummary? ReadSummary(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return SummaryFile.Deserialize(File.ReadAllText(path));
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // torn or empty: rebuilt from the records
        }
    }

    /// <summary>Cuts what follows the last whole message of an Arrow stream file; returns the bytes cut.</summary>
    internal static long CutTornBatch(string path)
    {
        long goodEnd, length;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            length = stream.Length;
            using var reader = new ArrowStreamReader(stream, leaveOpen: true);
            try
            {
                _ = reader.Schema;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new UserError($"{path}: no readable Arrow schema at its start ({e.Message}); it cannot be repaired");
            }
            goodEnd = stream.Position;
            try
            {
                while (reader.ReadNextRecordBatch() is { } batch)
                {
                    batch.Dispose();
                    goodEnd = stream.Position;
                }
                if (stream.Position == length) return 0; // ended by its end-of-stream marker, or exactly after a batch
                if (EndsWithEndOfStream(stream)) goodEnd = stream.Position; // whatever follows the marker goes
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A batch cut short: everything from it on goes.
            }
        }
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read)) file.SetLength(goodEnd);
        return length - goodEnd;
    }

    /// <summary>Whether the 8 bytes before the stream's position are Arrow's end-of-stream marker (0xFFFFFFFF, then a
    /// zero length).</summary>
    private static bool EndsWithEndOfStream(FileStream stream)
    {
        if (stream.Position < 8) return false;
        Span<byte> tail = stackalloc byte[8];
        RandomAccess.Read(stream.SafeFileHandle, tail, stream.Position - 8);
        return tail.SequenceEqual(stackalloc byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 });
    }

    private static (RunTotals Totals, long Records, double? SpanS) Tally(string data, RunSummary? old)
    {
        var slo = old?.Config?.SloMs is { Count: > 0 } ms
            ? new ServiceLevel(Ms(ms, "ttft"), Ms(ms, "tpot"), Ms(ms, "e2el"))
            : null;
        var totals = new RunTotals(slo);
        long records = 0;
        double first = double.MaxValue, last = double.MinValue;
        foreach (var record in RecordReader.Read(data))
        {
            totals.Add(record);
            records++;
            if (record.Get(Ipw.Abstractions.RecordColumns.SentAtS) is { } sent) first = Math.Min(first, sent);
            if (record.Get(Ipw.Abstractions.RecordColumns.CompletedAtS) is { } done) last = Math.Max(last, done);
        }
        return (totals, records, last > first ? last - first : null);
    }

    private static double? Ms(Dictionary<string, double> ms, string key) => ms.TryGetValue(key, out var v) ? v / 1000 : null;
}
