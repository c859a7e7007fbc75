using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using Apache.Arrow;

namespace Ipw.Core.Analysis;

/// <summary>Copies Arrow columns of a record batch into the arrays a <see cref="RunView"/> holds.</summary>
internal static class ColumnCopy
{
    /// <summary>Whether the column is held as numbers (booleans as 0 and 1).</summary>
    public static bool IsNumeric(IArrowArray array) => array is DoubleArray or FloatArray or Int64Array or Int32Array or BooleanArray;

    /// <summary>The column's values as doubles, NaN where a value is missing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Numbers(IArrowArray array, Span<double> into)
    {
        switch (array)
        {
            case DoubleArray d when d.NullCount == 0: d.Values.CopyTo(into); break;
            case DoubleArray d: Convert(d, into); break;
            case Int64Array l: Convert(l, into); break;
            case Int32Array n: Convert(n, into); break;
            case FloatArray f: Convert(f, into); break;
            case BooleanArray b:
                for (var i = 0; i < into.Length; i++) into[i] = b.GetValue(i) is { } v ? (v ? 1 : 0) : double.NaN;
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Convert<T>(PrimitiveArray<T> array, Span<double> into) where T : struct, INumberBase<T>
    {
        var values = array.Values;
        if (array.NullCount == 0)
        {
            for (var i = 0; i < into.Length; i++) into[i] = double.CreateTruncating(values[i]);
            return;
        }
        for (var i = 0; i < into.Length; i++) into[i] = array.IsValid(i) ? double.CreateTruncating(values[i]) : double.NaN;
    }
}

/// <summary>
/// One low-cardinality text column (subject, status, ...) copied batch by batch: each distinct value becomes one string
/// that every row holding it shares, so a million rows of six subjects hold six strings. Past
/// <see cref="MostDistinct"/> values the column is not low-cardinality after all, and a row that differs from the
/// one before it gets a string of its own.
/// </summary>
internal sealed class SharedStrings
{
    /// <summary>Distinct values looked up before a column counts as high-cardinality.</summary>
    public const int MostDistinct = 64;

    private readonly List<(byte[] Bytes, string Text)> _seen = [];
    private bool _many;

    /// <summary>The column's values for one batch; null where a value is missing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Copy(StringArray strings, Span<string?> into)
    {
        var offsets = strings.ValueOffsets;
        var data = strings.ValueBuffer.Span;
        var nulls = strings.NullCount > 0;
        ReadOnlySpan<byte> last = default;
        string? lastText = null;
        for (var i = 0; i < into.Length; i++)
        {
            if (nulls && strings.IsNull(i)) continue;
            var bytes = data[offsets[i]..offsets[i + 1]];
            if (lastText is null || !bytes.SequenceEqual(last))
            {
                lastText = Lookup(bytes);
                last = bytes;
            }
            into[i] = lastText;
        }
    }

    private string Lookup(ReadOnlySpan<byte> bytes)
    {
        foreach (var (known, text) in _seen)
            if (bytes.SequenceEqual(known)) return text;
        var made = Encoding.UTF8.GetString(bytes);
        if (_many) return made;
        if (_seen.Count == MostDistinct) _many = true;
        else _seen.Add((bytes.ToArray(), made));
        return made;
    }
}
