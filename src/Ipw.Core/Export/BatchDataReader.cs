using System.Collections;
using System.Collections.ObjectModel;
using System.Data.Common;
using Apache.Arrow;

namespace Ipw.Core.Export;

/// <summary>
/// A run's record batches as a forward-only <see cref="DbDataReader"/>, the shape Sylvan's CSV writer reads: a row at a
/// time, a batch at a time, nothing kept past the batch in hand. Numbers and booleans keep their types (so the writer
/// formats them invariantly); a list column reads as its JSON text; a missing value is DBNull, never 0.
/// </summary>
internal sealed class BatchDataReader(IReadOnlyList<ExportColumn> columns, IEnumerable<RecordBatch> batches) : DbDataReader, IDbColumnSchemaGenerator
{
    private readonly IEnumerator<RecordBatch> _batches = batches.GetEnumerator();
    private readonly IArrowArray[] _arrays = new IArrowArray[columns.Count];
    private RecordBatch? _batch;
    private int _row;
    private bool _closed;

    /// <summary>Rows read so far.</summary>
    public long Rows { get; private set; }

    public override bool Read()
    {
        if (_batch is not null && ++_row < _batch.Length)
        {
            Rows++;
            return true;
        }
        while (_batches.MoveNext())
        {
            _batch = _batches.Current;
            if (_batch.Length == 0) continue;
            for (var c = 0; c < _arrays.Length; c++) _arrays[c] = _batch.Column(columns[c].Index);
            _row = 0;
            Rows++;
            return true;
        }
        _batch = null;
        return false;
    }

    public override int FieldCount => columns.Count;
    public override string GetName(int ordinal) => columns[ordinal].Name;
    public override int GetOrdinal(string name) => columns.ToList().FindIndex(c => c.Name == name);

    public override Type GetFieldType(int ordinal) => columns[ordinal].Kind switch
    {
        CellKind.Int => typeof(long),
        CellKind.Double => typeof(double),
        CellKind.Bool => typeof(bool),
        _ => typeof(string),
    };

    public override string GetDataTypeName(int ordinal) => GetFieldType(ordinal).Name;

    public override bool IsDBNull(int ordinal) => columns[ordinal].Kind == CellKind.Double
        ? ExportColumn.Double(_arrays[ordinal], _row) is null
        : _arrays[ordinal].IsNull(_row);

    public override string GetString(int ordinal) => (columns[ordinal].Kind is CellKind.DoubleList or CellKind.EntryList
        ? ExportColumn.ListJson(_arrays[ordinal], _row, columns[ordinal].Kind)
        : ExportColumn.Text(_arrays[ordinal], _row)) ?? throw Missing(ordinal);

    public override long GetInt64(int ordinal) => ExportColumn.Int(_arrays[ordinal], _row) ?? throw Missing(ordinal);
    public override double GetDouble(int ordinal) => ExportColumn.Double(_arrays[ordinal], _row) ?? throw Missing(ordinal);
    public override bool GetBoolean(int ordinal) => ExportColumn.Bool(_arrays[ordinal], _row) ?? throw Missing(ordinal);

    public override object GetValue(int ordinal) => IsDBNull(ordinal) ? DBNull.Value : columns[ordinal].Kind switch
    {
        CellKind.Int => GetInt64(ordinal),
        CellKind.Double => GetDouble(ordinal),
        CellKind.Bool => GetBoolean(ordinal),
        _ => GetString(ordinal),
    };

    public override int GetValues(object[] values)
    {
        var n = Math.Min(values.Length, FieldCount);
        for (var i = 0; i < n; i++) values[i] = GetValue(i);
        return n;
    }

    public override object this[int ordinal] => GetValue(ordinal);
    public override object this[string name] => GetValue(GetOrdinal(name));
    public override int Depth => 0;
    public override bool HasRows => true;
    public override bool IsClosed => _closed;
    public override int RecordsAffected => -1;
    public override bool NextResult() => false;
    public override IEnumerator GetEnumerator() => new DbEnumerator(this);

    public ReadOnlyCollection<DbColumn> GetColumnSchema() =>
        columns.Select((c, i) => (DbColumn)new Column(c.Name, i, GetFieldType(i))).ToList().AsReadOnly();

    public override void Close()
    {
        if (_closed) return;
        _closed = true;
        _batches.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Close();
        base.Dispose(disposing);
    }

    private InvalidOperationException Missing(int ordinal) => new($"column '{columns[ordinal].Name}' has no value in this row (check IsDBNull first)");

    // The writer asks only for the types above; these exist to complete the reader.
    public override byte GetByte(int ordinal) => throw new NotSupportedException();
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();
    public override char GetChar(int ordinal) => throw new NotSupportedException();
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();
    public override DateTime GetDateTime(int ordinal) => throw new NotSupportedException();
    public override decimal GetDecimal(int ordinal) => throw new NotSupportedException();
    public override float GetFloat(int ordinal) => throw new NotSupportedException();
    public override Guid GetGuid(int ordinal) => throw new NotSupportedException();
    public override short GetInt16(int ordinal) => throw new NotSupportedException();
    public override int GetInt32(int ordinal) => throw new NotSupportedException();

    private sealed class Column : DbColumn
    {
        public Column(string name, int ordinal, Type type)
        {
            ColumnName = name;
            ColumnOrdinal = ordinal;
            DataType = type;
            DataTypeName = type.Name;
            AllowDBNull = true;
        }
    }
}
