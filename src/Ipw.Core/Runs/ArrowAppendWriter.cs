using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Abstractions;

namespace Ipw.Core.Runs;

/// <summary>
/// Appends record batches to an Arrow IPC stream file so that the file is readable after every
/// append: each batch is serialised into memory first and reaches the file in one write, so a
/// process killed at any moment leaves whole messages only (readers stop at the last one). A write that fails part way
/// (the disk is full) is cut back off the file: a batch is whole or absent, and the writer takes no more.
/// </summary>
internal sealed class ArrowAppendWriter<TRow> : IDisposable
{
    /// <summary>Rows per batch after compaction.</summary>
    public const int CompactBatchRows = 2048;

    private readonly TableLayout<TRow> _layout;
    private readonly string _path;
    private readonly FileStream _file;
    private readonly StagingStream _staging = new();
    private readonly ArrowStreamWriter _writer;
    private bool _ended;
    private long _committed;
    private IOException? _failed;

    public long RowsWritten { get; private set; }

    /// <summary>Applied to every batch as the file is compacted at close (the rows' final values of columns that
    /// could only be known then); null for none.</summary>
    public Func<RecordBatch, RecordBatch>? Finalise { get; set; }

    public ArrowAppendWriter(string path, TableLayout<TRow> layout)
    {
        _layout = layout;
        _path = path;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        _writer = new ArrowStreamWriter(_staging, layout.Schema, leaveOpen: true);
        try
        {
            // The schema message goes out at once: an empty run is still a valid, loadable file.
            _writer.WriteStart();
            Commit();
        }
        catch
        {
            Discard();
            throw;
        }
    }

    /// <summary>The write that failed (then nothing more was written), or null.</summary>
    public IOException? Failure => _failed;

    /// <summary>Closes and deletes the file (a claim given up before anything was recorded).</summary>
    public void Discard()
    {
        _ended = true;
        _writer.Dispose();
        _file.Dispose();
        File.Delete(_path);
    }

    public void Append(TRow row) => Append([row]);

    /// <summary>Serialises one row to memory and discards it: the first batch's code (builders, IPC, flatbuffers) is
    /// compiled before measurement starts, not while the first measured queries are in flight.</summary>
    public void Prewarm(TRow row)
    {
        using var memory = new MemoryStream();
        using var writer = new ArrowStreamWriter(memory, _layout.Schema);
        using var batch = _layout.Batch([row]);
        writer.WriteStart();
        writer.WriteRecordBatch(batch);
        writer.WriteEnd();
    }

    public void Append(IReadOnlyList<TRow> rows)
    {
        if (rows.Count == 0) return;
        using var batch = _layout.Batch(rows);
        _writer.WriteRecordBatch(batch);
        Commit();
        RowsWritten += rows.Count;
    }

    /// <summary>Appends a batch read from another file of the same layout (a resumed run's earlier rows), as it is.</summary>
    public void Append(RecordBatch batch)
    {
        if (batch.Length == 0) return;
        _writer.WriteRecordBatch(batch);
        Commit();
        RowsWritten += batch.Length;
    }

    private void Commit()
    {
        if (_failed is not null) throw new IOException($"{_path}: an earlier write failed ({_failed.Message}); nothing more is written", _failed);
        try
        {
            _file.Write(_staging.Buffer, 0, _staging.Staged);
            _file.Flush();
            _committed += _staging.Staged;
        }
        catch (IOException e)
        {
            _failed = e;
            try
            {
                _file.SetLength(_committed); // the part of the batch that reached the file, cut off
            }
            catch (IOException)
            {
                // A reader still stops at the last whole message; `ipw repair` cuts the rest.
            }
            throw;
        }
        finally
        {
            _staging.Reset();
        }
    }

    /// <summary>Writes the end-of-stream marker, closes the file and compacts it.</summary>
    public void Dispose()
    {
        if (_ended) return;
        _ended = true;
        try
        {
            if (_failed is null)
            {
                _writer.WriteEnd();
                Commit();
            }
        }
        catch (IOException)
        {
            // Noted in Failure; the file ends at its last whole batch, which readers accept.
        }
        _writer.Dispose();
        _file.Dispose();
        if (_failed is not null || !(RowsWritten > 1 || (RowsWritten == 1 && Finalise is not null))) return;
        try
        {
            Compact(_path, _layout.Schema, Finalise);
        }
        catch (IOException e)
        {
            // No room for the compacted copy: the appended file stays, whole, with the rows' live values.
            _failed = e;
        }
    }

    /// <summary>Rewrites a stream file with its rows in batches of <see cref="CompactBatchRows"/>, then swaps it in
    /// atomically: a crash meanwhile leaves the original, which is complete on its own. <paramref name="finalise"/>, when
    /// given, rewrites each batch read, in order.</summary>
    internal static void Compact(string path, Schema schema, Func<RecordBatch, RecordBatch>? finalise = null)
    {
        AtomicFile.Write(path, temp =>
            {
                using (var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
                using (var reader = new ArrowStreamReader(input))
                using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                using (var writer = new ArrowStreamWriter(output, schema))
                {
                    writer.WriteStart();
                    var pending = new List<RecordBatch>();
                    var rows = 0;
                    while (reader.ReadNextRecordBatch() is { } read)
                    {
                        var batch = finalise is null ? read : finalise(read);
                        pending.Add(batch);
                        rows += batch.Length;
                        if (rows >= CompactBatchRows) rows = Flush(writer, schema, pending, rows);
                    }
                    Flush(writer, schema, pending, rows);
                    writer.WriteEnd();
                }
            });
    }

    private static int Flush(ArrowStreamWriter writer, Schema schema, List<RecordBatch> pending, int rows)
    {
        if (pending.Count == 0) return 0;
        var columns = new IArrowArray[schema.FieldsList.Count];
        for (var c = 0; c < columns.Length; c++)
        {
            var parts = new List<IArrowArray>(pending.Count);
            foreach (var b in pending) parts.Add(b.Column(c));
            columns[c] = ArrowArrayConcatenator.Concatenate(parts)!;
        }
        using (var merged = new RecordBatch(schema, columns, rows)) writer.WriteRecordBatch(merged);
        foreach (var b in pending) b.Dispose();
        pending.Clear();
        return 0;
    }

    /// <summary>A forward-only stream that collects bytes until committed; reports total bytes as its position.</summary>
    private sealed class StagingStream : Stream
    {
        private byte[] _buffer = new byte[64 * 1024];
        private long _total;

        public byte[] Buffer => _buffer;
        /// <summary>Bytes staged since the last commit.</summary>
        public int Staged { get; private set; }

        public void Reset() => Staged = 0;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Staged + buffer.Length > _buffer.Length)
                System.Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Staged + buffer.Length));
            buffer.CopyTo(_buffer.AsSpan(Staged));
            Staged += buffer.Length;
            _total += buffer.Length;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _total;
        public override long Position { get => _total; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
