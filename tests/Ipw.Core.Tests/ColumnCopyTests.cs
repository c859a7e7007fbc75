using Apache.Arrow;
using Ipw.Core.Analysis;

namespace Ipw.Core.Tests;

/// <summary>How a run's columns become the arrays an analysis reads: values, missing values and shared strings.</summary>
public sealed class ColumnCopyTests
{
    private static StringArray Strings(IEnumerable<string?> values)
    {
        var builder = new StringArray.Builder();
        foreach (var v in values)
        {
            if (v is null) builder.AppendNull();
            else builder.Append(v);
        }
        return builder.Build();
    }

    [Fact]
    public void Rows_of_one_value_share_one_string_across_batches_and_missing_rows_stay_null()
    {
        var shared = new SharedStrings();
        string[] subjects = ["math", "chat", "logic"];
        var first = new string?[300];
        var second = new string?[300];
        shared.Copy(Strings(Enumerable.Range(0, 300).Select(i => i % 7 == 0 ? null : subjects[i % 3])), first);
        shared.Copy(Strings(Enumerable.Range(0, 300).Select(i => subjects[(i + 1) % 3])), second);

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(i % 7 == 0 ? null : subjects[i % 3], first[i]);
            Assert.Equal(subjects[(i + 1) % 3], second[i]);
        }
        // Every "math" row, in either batch, is the same string object.
        var maths = first.Concat(second).Where(s => s == "math").ToList();
        Assert.True(maths.Count > 150);
        Assert.All(maths, m => Assert.Same(maths[0], m));
    }

    [Fact]
    public void A_column_of_many_distinct_values_is_still_copied_exactly()
    {
        var shared = new SharedStrings();
        var values = Enumerable.Range(0, 1000).Select(i => i % 3 == 0 ? $"q{i / 3}" : $"item-{i}-é").ToArray();
        var into = new string?[values.Length];
        shared.Copy(Strings(values), into);
        Assert.Equal(values, into);
    }

    [Fact]
    public void A_slice_of_a_column_is_read_from_its_own_offset()
    {
        var whole = Strings(["a", "bb", null, "ccc", "bb"]);
        var slice = (StringArray)whole.Slice(2, 3);
        var into = new string?[3];
        new SharedStrings().Copy(slice, into);
        Assert.Equal(new string?[] { null, "ccc", "bb" }, into.AsEnumerable());
    }

    [Fact]
    public void Numbers_are_copied_with_missing_values_as_NaN_whatever_their_type()
    {
        var doubles = new DoubleArray.Builder().Append(1.5).AppendNull().Append(-2).Build();
        var dense = new DoubleArray.Builder().Append(1.5).Append(3).Append(-2).Build();
        var longs = new Int64Array.Builder().Append(7).AppendNull().Append(long.MaxValue).Build();
        var ints = new Int32Array.Builder().Append(-3).Append(0).AppendNull().Build();
        var floats = new FloatArray.Builder().AppendNull().Append(0.25f).Append(1).Build();
        var bools = new BooleanArray.Builder().Append(true).AppendNull().Append(false).Build();
        double[] Copy(IArrowArray a)
        {
            var into = new double[3];
            ColumnCopy.Numbers(a, into);
            return into;
        }
        Assert.Equal([1.5, double.NaN, -2], Copy(doubles));
        Assert.Equal([1.5, 3, -2], Copy(dense));
        Assert.Equal([7, double.NaN, long.MaxValue], Copy(longs));
        Assert.Equal([-3, 0, double.NaN], Copy(ints));
        Assert.Equal([double.NaN, 0.25, 1], Copy(floats));
        Assert.Equal([1, double.NaN, 0], Copy(bools));
        Assert.Equal([3, -2], CopySlice(dense));

        static double[] CopySlice(DoubleArray a)
        {
            var into = new double[2];
            ColumnCopy.Numbers(a.Slice(1, 2), into);
            return into;
        }
    }
}
