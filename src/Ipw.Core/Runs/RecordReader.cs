using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Records;

namespace Ipw.Core.Runs;

/// <summary>Reads records back from a data file's batches, column by column under <see cref="RecordColumns"/>' names and
/// types (the inverse of <see cref="RecordSchema"/>); a column the file lacks reads as missing.</summary>
internal static class RecordReader
{
    /// <summary>Every record of a data file, in order, streamed batch by batch.</summary>
    /// <param name="columns">The columns to read (the others read as missing); null for all.</param>
    public static IEnumerable<QueryRecord> Read(string dataPath, IReadOnlyCollection<RecordColumn>? columns = null)
    {
        using var input = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new Apache.Arrow.Ipc.ArrowStreamReader(input);
        foreach (var batch in Batches(reader, dataPath))
        {
            List<QueryRecord> rows;
            using (batch) rows = Rows(batch, columns);
            foreach (var row in rows) yield return row;
        }
    }

    /// <summary>The batches of an Arrow stream from a run folder (a file a user may hand over), each checked to keep every
    /// read inside its buffers (<see cref="Ipw.Shared.ArrowBounds"/>): a file that would not, or that Apache.Arrow cannot
    /// read, is a user error naming it.</summary>
    public static IEnumerable<RecordBatch> Batches(Apache.Arrow.Ipc.ArrowStreamReader reader, string path, string what = "records")
    {
        while (true)
        {
            RecordBatch? batch;
            try
            {
                batch = reader.ReadNextRecordBatch();
                if (batch is not null) Ipw.Shared.ArrowBounds.Check(batch);
            }
            catch (Exception e) when (Unreadable(e))
            {
                throw new UserError($"{path}: cannot read the {what} ({Why(e)})");
            }
            if (batch is null) yield break;
            yield return batch;
        }
    }

    /// <summary>What Apache.Arrow's reader throws for a file that is not a readable Arrow stream: it takes the schema's
    /// types on trust, so a corrupt file shows as a cast, an index or a bare <see cref="Exception"/> (an unknown integer
    /// width, found by fuzzing).</summary>
    public static bool Unreadable(Exception e) =>
        e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or IndexOutOfRangeException
            or InvalidCastException or OverflowException
        || e.GetType() == typeof(Exception)
        || e is NullReferenceException or OutOfMemoryException && ThrownByArrow(e);

    /// <summary>Why the file could not be read, for the one-line error: Apache.Arrow's own null reference (a message
    /// missing a part) or its attempt to allocate a length read from the file (found by fuzzing) say only that.</summary>
    public static string Why(Exception e) => e is NullReferenceException or OutOfMemoryException ? "not a readable Arrow stream" : e.Message;

    /// <summary>Whether the innermost frame outside the runtime's own library is Apache.Arrow's: its reader on a corrupt
    /// message, not a defect of ours.</summary>
    private static bool ThrownByArrow(Exception e)
    {
        var arrow = typeof(RecordBatch).Assembly;
        foreach (var frame in new System.Diagnostics.StackTrace(e).GetFrames())
        {
            var assembly = frame.GetMethod()?.DeclaringType?.Assembly;
            if (assembly is null || assembly == typeof(object).Assembly) continue;
            return assembly == arrow;
        }
        return false;
    }

    /// <summary>The rows of <paramref name="batch"/> as records, in order.</summary>
    /// <param name="columns">The columns to read (the others read as missing); null for all.</param>
    public static List<QueryRecord> Rows(RecordBatch batch, IReadOnlyCollection<RecordColumn>? columns = null)
    {
        var cells = new object?[batch.Length][];
        for (var i = 0; i < cells.Length; i++) cells[i] = new object?[RecordColumns.All.Count];
        foreach (var column in columns ?? RecordColumns.All)
        {
            var index = batch.Schema.GetFieldIndex(column.Name);
            if (index < 0) continue;
            var array = batch.Column(index);
            for (var i = 0; i < cells.Length; i++) cells[i][column.Ordinal] = Value(array, i);
        }
        return cells.Select(c => new QueryRecord(c)).ToList();
    }

    /// <summary>A device list's entries (<see cref="DeviceEnergy"/>), its fields found by name.</summary>
    private static DeviceEnergy[] Devices(StructArray entries, int start, int length)
    {
        var type = (Apache.Arrow.Types.StructType)entries.Data.DataType;
        IArrowArray? Field(string name) => type.GetFieldIndex(name) is var k and >= 0 ? entries.Fields[k] : null;
        var (device, energy, active, power) = (Field("device") as StringArray, Field("energy_j") as DoubleArray,
            Field("active_energy_j") as DoubleArray, Field("avg_power_w") as DoubleArray);
        return Enumerable.Range(start, length)
            .Select(k => new DeviceEnergy(device?.GetString(k) ?? "", energy?.GetValue(k), active?.GetValue(k), power?.GetValue(k))).ToArray();
    }

    private static object? Value(IArrowArray array, int i) => array switch
    {
        _ when array.IsNull(i) => null,
        StringArray s => s.GetString(i),
        Int64Array l => l.GetValue(i),
        DoubleArray d => d.GetValue(i),
        BooleanArray b => b.GetValue(i),
        ListArray { Values: DoubleArray values } list => Enumerable.Range(list.ValueOffsets[i], list.GetValueLength(i))
            .Select(k => values.GetValue(k) ?? double.NaN).ToArray(),
        ListArray { Values: StructArray entries } list => Devices(entries, list.ValueOffsets[i], list.GetValueLength(i)),
        _ => null,
    };
}
