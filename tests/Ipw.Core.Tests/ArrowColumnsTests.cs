using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Abstractions;
using Ipw.Core.Runs;

namespace Ipw.Core.Tests;

/// <summary>The record file's columns, built at their exact size, read back through Arrow's own IPC reader: nulls
/// where values are missing (NaN too), the values where they are not, whatever the batch's length.</summary>
public sealed class ArrowColumnsTests
{
    private sealed record Row(string? Text, long? Count, double? Value, bool? Flag, IReadOnlyList<double>? Gaps, IReadOnlyList<DeviceEnergy>? Devices);

    private static readonly TableLayout<Row> Layout = new([
        new StringColumn<Row>("text", r => r.Text),
        new Int64Column<Row>("count", r => r.Count),
        new DoubleColumn<Row>("value", r => r.Value),
        new BoolColumn<Row>("flag", r => r.Flag),
        new DoubleListColumn<Row>("gaps", r => r.Gaps),
        new DeviceListColumn<Row>("devices", r => r.Devices),
    ]);

    private static RecordBatch RoundTrip(IReadOnlyList<Row> rows)
    {
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, Layout.Schema, leaveOpen: true)) writer.WriteRecordBatch(Layout.Batch(rows));
        stream.Position = 0;
        return new ArrowStreamReader(stream).ReadNextRecordBatch();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(70)]
    public void Every_column_reads_back_what_was_written(int n)
    {
        var rows = Enumerable.Range(0, n).Select(i => new Row(
            i % 4 == 3 ? null : i % 4 == 2 ? "" : $"é{i}→ \"x\"\n",
            i % 5 == 4 ? null : i * -3_000_000_000L,
            i % 3 == 2 ? null : i % 3 == 1 ? double.NaN : i / 7.0,
            i % 3 == 0 ? null : i % 2 == 0,
            i % 4 == 1 ? null : Enumerable.Range(0, i % 6).Select(k => k == 2 ? double.NaN : k * 0.5).ToArray(),
            i % 5 == 2 ? null : Enumerable.Range(0, i % 3).Select(k => new DeviceEnergy($"gpu{k}", i + k, k == 1 ? null : k * 2.0, i % 2 == 0 ? 300.5 : null)).ToArray())).ToList();
        var batch = RoundTrip(rows);
        Assert.Equal(n, batch.Length);
        var text = (StringArray)batch.Column("text");
        var count = (Int64Array)batch.Column("count");
        var value = (DoubleArray)batch.Column("value");
        var flag = (BooleanArray)batch.Column("flag");
        var gaps = (ListArray)batch.Column("gaps");
        var items = (DoubleArray)gaps.Values;
        var devices = (ListArray)batch.Column("devices");
        var entries = (StructArray)devices.Values;
        var (name, energy, active, power) = ((StringArray)entries.Fields[0], (DoubleArray)entries.Fields[1], (DoubleArray)entries.Fields[2], (DoubleArray)entries.Fields[3]);
        for (var i = 0; i < n; i++)
        {
            var r = rows[i];
            Assert.Equal(r.Text, text.GetString(i));
            Assert.Equal(r.Text is null, text.IsNull(i));
            Assert.Equal(r.Count, count.GetValue(i));
            Assert.Equal(r.Value is { } v && !double.IsNaN(v) ? v : null, value.GetValue(i));
            Assert.Equal(r.Flag, flag.GetValue(i));
            Assert.Equal(r.Gaps is null, gaps.IsNull(i));
            var read = Enumerable.Range(gaps.ValueOffsets[i], gaps.GetValueLength(i)).Select(k => items.GetValue(k)).ToList();
            Assert.Equal(r.Gaps?.Select(g => double.IsNaN(g) ? (double?)null : g) ?? [], read);
            Assert.Equal(r.Devices is null, devices.IsNull(i));
            var readDevices = Enumerable.Range(devices.ValueOffsets[i], devices.GetValueLength(i))
                .Select(k => new DeviceEnergy(name.GetString(k), energy.GetValue(k), active.GetValue(k), power.GetValue(k))).ToList();
            Assert.Equal(r.Devices ?? [], readDevices);
        }
        Assert.Equal(rows.Count(r => r.Text is null), text.NullCount);
        Assert.Equal(rows.Count(r => r.Value is not { } v || double.IsNaN(v)), value.NullCount);
    }
}
