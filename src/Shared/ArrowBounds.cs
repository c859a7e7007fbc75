using Apache.Arrow;
using Apache.Arrow.Types;

namespace Ipw.Shared;

/// <summary>
/// Checks that a record batch read from a file keeps every read inside its buffers: Apache.Arrow's C# reader takes a
/// file's lengths and offsets on trust and reads strings through unchecked spans, so a corrupt file can make a read run
/// past a buffer (an access violation, which ends the process; found by fuzzing). The checks are those of Arrow C++'s
/// full validation that reading needs: every column at least as long as the batch, each buffer long enough for its rows,
/// offsets that never decrease and stay within their data, dictionary indices within the dictionary. Written here because
/// the C# library has no validation of its own. Compiled into each assembly that reads Arrow files from outside.
/// </summary>
internal static class ArrowBounds
{
    /// <exception cref="InvalidDataException">The first column that would read outside its buffers, named.</exception>
    public static void Check(RecordBatch batch)
    {
        if (batch.Length < 0) throw new InvalidDataException($"a batch of {batch.Length} rows");
        // The schema is taken on trust too: a field the file does not describe reads as null.
        if (batch.Schema?.FieldsList is not { } fields) throw new InvalidDataException("a batch whose schema lists no fields");
        if (fields.Count != batch.ColumnCount) throw new InvalidDataException($"a schema of {fields.Count} fields for {batch.ColumnCount} columns");
        for (var f = 0; f < fields.Count; f++)
            if (fields[f]?.Name is null) throw new InvalidDataException($"field {f + 1} of the schema has no name");
        for (var c = 0; c < batch.ColumnCount; c++)
        {
            var data = batch.Column(c).Data;
            if (data.Length < batch.Length) throw new InvalidDataException($"column '{batch.Schema.FieldsList[c].Name}' has {data.Length} rows of the batch's {batch.Length}");
            Check(data, batch.Schema.FieldsList[c].Name);
        }
    }

    private static void Check(ArrayData data, string name)
    {
        if (data.Offset < 0 || data.Length < 0) throw Bad(name, "a negative offset or length");
        var end = (long)data.Offset + data.Length;
        if (data.Buffers.Length > 0 && data.Buffers[0].Length > 0 && data.Buffers[0].Length * 8L < end) throw Bad(name, "a validity bitmap shorter than its rows");
        switch (data.DataType)
        {
            case NullType:
                return;
            case DictionaryType dictionary:
                Fixed(data, name, ((FixedWidthType)dictionary.IndexType).BitWidth, end);
                if (data.Dictionary is not { } values) throw Bad(name, "no dictionary");
                Check(values, name);
                Indices(data, name, values.Length);
                return;
            case FixedSizeBinaryType binary:
                Fixed(data, name, binary.ByteWidth * 8L, end);
                return;
            case FixedWidthType fixedWidth:
                Fixed(data, name, fixedWidth.BitWidth, end);
                return;
            case StringType or BinaryType:
                Offsets32(data, name, end, Buffer(data, 2, name).Length);
                return;
            case StringViewType or BinaryViewType:
                Views(data, name, end);
                return;
            case LargeStringType or LargeBinaryType:
                Offsets64(data, name, end, Buffer(data, 2, name).Length);
                return;
            case ListType or MapType:
                Child(data, name, 0, out var items);
                Offsets32(data, name, end, items.Length);
                Check(items, name);
                return;
            case LargeListType:
                Child(data, name, 0, out var largeItems);
                Offsets64(data, name, end, largeItems.Length);
                Check(largeItems, name);
                return;
            case FixedSizeListType list:
                Child(data, name, 0, out var fixedItems);
                if (fixedItems.Length < end * list.ListSize) throw Bad(name, "list items shorter than its rows");
                Check(fixedItems, name);
                return;
            case StructType:
                foreach (var field in data.Children)
                {
                    if (field.Length < end) throw Bad(name, "a field shorter than its rows");
                    Check(field, name);
                }
                return;
            default:
                throw Bad(name, $"type {data.DataType.Name}, which ipw does not read");
        }
    }

    private static InvalidDataException Bad(string column, string what) => new($"column '{column}': {what}");

    private static ArrowBuffer Buffer(ArrayData data, int index, string name) =>
        data.Buffers.Length > index ? data.Buffers[index] : throw Bad(name, $"buffer {index} missing");

    private static void Child(ArrayData data, string name, int index, out ArrayData child) =>
        child = data.Children is { } children && children.Length > index ? children[index] : throw Bad(name, "its values missing");

    private static void Fixed(ArrayData data, string name, long bitWidth, long end)
    {
        if (Buffer(data, 1, name).Length * 8L < end * bitWidth) throw Bad(name, "values shorter than its rows");
    }

    private static void Offsets32(ArrayData data, string name, long end, long limit) =>
        Offsets(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(Buffer(data, 1, name).Span), data, name, end, limit);

    private static void Offsets64(ArrayData data, string name, long end, long limit) =>
        Offsets(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(Buffer(data, 1, name).Span), data, name, end, limit);

    /// <summary>Offsets of 32 or 64 bits: one more than the rows, never decreasing, the last within the data.</summary>
    private static void Offsets<T>(ReadOnlySpan<T> offsets, ArrayData data, string name, long end, long limit) where T : System.Numerics.IBinaryInteger<T>
    {
        if (data.Length == 0) return;
        if (offsets.Length < end + 1) throw Bad(name, "offsets shorter than its rows");
        for (var i = data.Offset; i < end; i++)
            if (T.IsNegative(offsets[i]) || offsets[i + 1] < offsets[i]) throw Bad(name, $"offsets decreasing at row {i - data.Offset}");
        if (long.CreateTruncating(offsets[(int)end]) > limit) throw Bad(name, "offsets past the end of its data");
    }

    /// <summary>String and binary views: 16 bytes a row; a value longer than 12 bytes names a data buffer and its place in it.</summary>
    private static void Views(ArrayData data, string name, long end)
    {
        var views = Buffer(data, 1, name).Span;
        if (views.Length < end * 16) throw Bad(name, "views shorter than its rows");
        for (var i = data.Offset; i < end; i++)
        {
            var view = views.Slice(i * 16, 16);
            var length = BitConverter.ToInt32(view[..4]);
            if (length < 0) throw Bad(name, $"a negative length at row {i - data.Offset}");
            if (length <= 12) continue;
            var buffer = BitConverter.ToInt32(view.Slice(8, 4));
            var offset = BitConverter.ToInt32(view.Slice(12, 4));
            if (buffer < 0 || offset < 0 || 2 + buffer >= data.Buffers.Length || (long)offset + length > data.Buffers[2 + buffer].Length)
                throw Bad(name, $"a view past its data at row {i - data.Offset}");
        }
    }

    private static void Indices(ArrayData data, string name, int size)
    {
        var bytes = Buffer(data, 1, name).Span;
        var width = ((FixedWidthType)((DictionaryType)data.DataType).IndexType).BitWidth / 8;
        for (var i = data.Offset; i < data.Offset + data.Length; i++)
        {
            long index = width switch
            {
                1 => (sbyte)bytes[i],
                2 => BitConverter.ToInt16(bytes.Slice(i * 2, 2)),
                4 => BitConverter.ToInt32(bytes.Slice(i * 4, 4)),
                _ => BitConverter.ToInt64(bytes.Slice(i * 8, 8)),
            };
            if (index < 0 || index >= size) throw Bad(name, $"dictionary index {index} outside its {size} values");
        }
    }
}
