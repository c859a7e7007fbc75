using Apache.Arrow;
using Parquet;
using Parquet.Schema;
using Field = Parquet.Schema.Field;

namespace Ipw.Core.Export;

/// <summary>
/// One exported column's values for the Parquet row group being gathered, with its typed, nullable Parquet field: a
/// missing value is a null (a definition level below the maximum), never 0.
/// </summary>
internal abstract class ParquetColumn
{
    public abstract Field Field { get; }

    /// <summary>Rough bytes held (text and list values), so a row group of long prompts is cut early.</summary>
    public long Bytes { get; protected set; }

    /// <summary>Adds the first <paramref name="rows"/> cells of <paramref name="array"/>; <paramref name="firstRow"/> is the
    /// first one's row in the run, for errors.</summary>
    public abstract void Add(IArrowArray array, int rows, long firstRow);

    /// <summary>Writes what was added as this column of <paramref name="group"/>, then forgets it.</summary>
    public abstract Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken);

    public static ParquetColumn For(ExportColumn column, string dataPath) => column.Kind switch
    {
        _ when column.IsTimestamp => new Values<DateTime>(
            new DateTimeDataField(column.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true),
            (a, i, row) => ExportColumn.Timestamp(a, i, column.Name, row, dataPath)),
        CellKind.Text => new Texts(new DataField<string>(column.Name, nullable: true)),
        CellKind.Int => new Values<long>(new DataField<long?>(column.Name), (a, i, _) => ExportColumn.Int(a, i)),
        CellKind.Double => new Values<double>(new DataField<double?>(column.Name), (a, i, _) => ExportColumn.Double(a, i)),
        CellKind.Bool => new Values<bool>(new DataField<bool?>(column.Name), (a, i, _) => ExportColumn.Bool(a, i)),
        CellKind.EntryList => new EntryLists(column.Name, column.EntryFields!),
        _ => new DoubleLists(column.Name),
    };

    private sealed class Values<T>(DataField data, Func<IArrowArray, int, long, T?> read) : ParquetColumn where T : struct
    {
        private T?[] _values = new T?[1024];
        private int _count;

        public override Field Field => data;

        public override void Add(IArrowArray array, int rows, long firstRow)
        {
            if (_count + rows > _values.Length) System.Array.Resize(ref _values, Math.Max(2 * _values.Length, _count + rows));
            for (var i = 0; i < rows; i++) _values[_count++] = read(array, i, firstRow + i);
        }

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            await group.WriteAsync<T>(data, _values.AsMemory(0, _count), cancellationToken: cancellationToken).ConfigureAwait(false);
            _count = 0;
        }
    }

    private sealed class Texts(DataField data) : ParquetColumn
    {
        private readonly List<string?> _values = [];

        public override Field Field => data;

        public override void Add(IArrowArray array, int rows, long firstRow)
        {
            for (var i = 0; i < rows; i++)
            {
                var text = ExportColumn.Text(array, i);
                _values.Add(text);
                Bytes += text?.Length ?? 0;
            }
        }

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            await group.WriteAsync(data, _values!).ConfigureAwait(false);
            _values.Clear();
            Bytes = 0;
        }
    }

    /// <summary>A list of doubles: an optional LIST of optional doubles, its levels made here so that a missing list, an
    /// empty one and a missing element stay apart.</summary>
    private sealed class DoubleLists : ParquetColumn
    {
        // Definition levels of optional group (LIST) > repeated group > optional double: how far down a cell is defined.
        private const int MissingList = 0, EmptyList = 1, MissingElement = 2, Element = 3;
        private readonly DataField _item = new DataField<double?>("element");
        private readonly List<double> _values = [];
        private readonly List<int> _definitions = [];
        private readonly List<int> _repetitions = [];

        public DoubleLists(string name) => Field = new ListField(name, _item);

        public override Field Field { get; }

        public override void Add(IArrowArray array, int rows, long firstRow)
        {
            for (var i = 0; i < rows; i++)
            {
                if (!ExportColumn.List(array, i, out var values, out var start, out var length) || length == 0)
                {
                    _definitions.Add(array.IsNull(i) ? MissingList : EmptyList);
                    _repetitions.Add(0);
                    continue;
                }
                for (var k = 0; k < length; k++)
                {
                    var value = ExportColumn.Double(values, start + k);
                    if (value is { } v) _values.Add(v);
                    _definitions.Add(value is null ? MissingElement : Element);
                    _repetitions.Add(k == 0 ? 0 : 1); // 0 starts a row's list, 1 continues it
                }
                Bytes += 8L * length;
            }
        }

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            await group.WriteAllPartsAsync<double>(_item, _values.ToArray(), _definitions.ToArray(), _repetitions.ToArray(), cancellationToken)
                .ConfigureAwait(false);
            _values.Clear();
            _definitions.Clear();
            _repetitions.Clear();
            Bytes = 0;
        }
    }

    /// <summary>A list of entries (<c>energy_by_device</c>): an optional LIST of optional structs of optional text and
    /// double fields, each field a leaf column with the list's repetition levels. Parquet.Net writes text leaves from
    /// their values alone (a null text is a missing list there), so an empty list is written as a missing one: ipw's
    /// writer never stores an empty one.</summary>
    private sealed class EntryLists : ParquetColumn
    {
        // Definition levels of optional group (LIST) > repeated group > optional struct > optional leaf.
        private const int MissingList = 0, MissingField = 3, Present = 4;
        private readonly DataField[] _leaves;
        private readonly List<string?>[] _texts;
        private readonly List<double>[] _numbers;
        private readonly List<int>[] _definitions;
        private readonly List<int> _repetitions = [];

        public EntryLists(string name, IReadOnlyList<(string Name, bool IsText)> fields)
        {
            _leaves = fields.Select(f => f.IsText ? (DataField)new DataField<string>(f.Name, nullable: true) : new DataField<double?>(f.Name)).ToArray();
            _texts = fields.Select(_ => new List<string?>()).ToArray();
            _numbers = fields.Select(_ => new List<double>()).ToArray();
            _definitions = fields.Select(_ => new List<int>()).ToArray();
            Field = new ListField(name, new StructField("element", _leaves));
        }

        public override Field Field { get; }

        public override void Add(IArrowArray array, int rows, long firstRow)
        {
            var list = (ListArray)array;
            var entries = (StructArray)list.Values;
            for (var i = 0; i < rows; i++)
            {
                var length = list.IsNull(i) ? 0 : list.GetValueLength(i);
                if (length == 0)
                {
                    _repetitions.Add(0);
                    for (var f = 0; f < _leaves.Length; f++)
                    {
                        _definitions[f].Add(MissingList);
                        if (_leaves[f] is DataField<string>) _texts[f].Add(null);
                    }
                    continue;
                }
                for (var k = list.ValueOffsets[i]; k < list.ValueOffsets[i] + length; k++)
                {
                    _repetitions.Add(k == list.ValueOffsets[i] ? 0 : 1);
                    for (var f = 0; f < _leaves.Length; f++)
                    {
                        if (_leaves[f] is DataField<string>)
                        {
                            var text = ExportColumn.Text(entries.Fields[f], k);
                            _texts[f].Add(text);
                            Bytes += text?.Length ?? 0;
                        }
                        else if (ExportColumn.Double(entries.Fields[f], k) is { } v)
                        {
                            _numbers[f].Add(v);
                            _definitions[f].Add(Present);
                            Bytes += 8;
                        }
                        else _definitions[f].Add(MissingField);
                    }
                }
            }
        }

        public override async Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken)
        {
            var repetitions = _repetitions.ToArray();
            for (var f = 0; f < _leaves.Length; f++)
            {
                if (_leaves[f] is DataField<string>) await group.WriteAsync(_leaves[f], _texts[f]!, repetitions).ConfigureAwait(false);
                else
                    await group.WriteAllPartsAsync<double>(_leaves[f], _numbers[f].ToArray(), _definitions[f].ToArray(), repetitions, cancellationToken)
                        .ConfigureAwait(false);
                _texts[f].Clear();
                _numbers[f].Clear();
                _definitions[f].Clear();
            }
            _repetitions.Clear();
            Bytes = 0;
        }
    }
}
