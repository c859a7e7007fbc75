using Apache.Arrow;
using Apache.Arrow.Types;
using Ipw.Shared;

namespace Ipw.Core.Tests;

/// <summary>A batch whose lengths or offsets would make a read run past its buffers is refused before anything reads it
/// (Apache.Arrow's C# reader would read past them: an access violation, found by fuzzing run files and datasets).</summary>
public sealed class ArrowBoundsTests
{
    private static RecordBatch Strings(int[] offsets, byte[] data, int rows)
    {
        var schema = new Schema([new Field("prompt", StringType.Default, true)], null);
        var array = new StringArray(rows, new ArrowBuffer(offsets.SelectMany(BitConverter.GetBytes).ToArray()), new ArrowBuffer(data), ArrowBuffer.Empty);
        return new RecordBatch(schema, [array], rows);
    }

    [Fact]
    public void A_whole_batch_passes_and_offsets_out_of_bounds_are_refused_by_column()
    {
        using var good = Strings([0, 2, 5], "hello"u8.ToArray(), 2);
        ArrowBounds.Check(good);
        Assert.Equal("lo", ((StringArray)good.Column(0)).GetString(1)[1..]);

        using var past = Strings([0, 2, 4000], "hello"u8.ToArray(), 2);
        Assert.Equal("column 'prompt': offsets past the end of its data", Assert.Throws<InvalidDataException>(() => ArrowBounds.Check(past)).Message);
        using var decreasing = Strings([0, 4, 1], "hello"u8.ToArray(), 2);
        Assert.Equal("column 'prompt': offsets decreasing at row 1", Assert.Throws<InvalidDataException>(() => ArrowBounds.Check(decreasing)).Message);
        using var shortOffsets = Strings([0, 2], "hello"u8.ToArray(), 2);
        Assert.Equal("column 'prompt': offsets shorter than its rows", Assert.Throws<InvalidDataException>(() => ArrowBounds.Check(shortOffsets)).Message);
    }

    [Fact]
    public void Fixed_width_values_shorter_than_the_rows_are_refused()
    {
        var schema = new Schema([new Field("energy_j", DoubleType.Default, true)], null);
        var array = new DoubleArray(new ArrowBuffer(new byte[16]), ArrowBuffer.Empty, 3, 0, 0);
        using var batch = new RecordBatch(schema, [array], 3);
        Assert.Equal("column 'energy_j': values shorter than its rows", Assert.Throws<InvalidDataException>(() => ArrowBounds.Check(batch)).Message);
    }
}
