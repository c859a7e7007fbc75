using System.Buffers.Binary;
using System.Text;
using Ipw.Abstractions.Models;

namespace Ipw.Core.Tests;

/// <summary>The safetensors header reader: a well-formed file reads with its tensors placed after the header; a file cut or
/// corrupted is refused with a <see cref="ModelFileException"/> saying what, never another exception.</summary>
public sealed class SafetensorsFileTests
{
    /// <summary>A file as the format lays it out: the header's length, the JSON header, then the tensors' bytes.</summary>
    private static byte[] File(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private const string Good = """
        {"__metadata__": {"format": "pt"},
         "wte": {"dtype": "BF16", "shape": [4, 3], "data_offsets": [0, 24]},
         "ln.bias": {"dtype": "F32", "shape": [3], "data_offsets": [24, 36]},
         "scale": {"dtype": "F32", "shape": [], "data_offsets": [36, 40]},
         "packed": {"dtype": "F4", "shape": [2, 3], "data_offsets": [40, 43]}}
        """;

    private static ModelFileInfo Read(byte[] bytes) => SafetensorsFile.Read(new MemoryStream(bytes));

    private static string Refused(string header, int dataBytes = 43) => Assert.Throws<ModelFileException>(() => Read(File(header, dataBytes))).Message;

    [Fact]
    public void A_well_formed_file_reads_with_its_tensors_after_the_header()
    {
        var bytes = File(Good, 43);
        var info = Read(bytes);
        Assert.Equal("safetensors", info.Format);
        Assert.Equal("pt", info.Metadata["format"]);
        Assert.Equal(["wte", "ln.bias", "scale", "packed"], info.Tensors.Select(t => t.Name));
        Assert.Equal(12 + 3 + 1 + 6, info.Parameters);
        var headerEnd = bytes.Length - 43;
        Assert.Equal([headerEnd, headerEnd + 24, headerEnd + 36, headerEnd + 40], info.Tensors.Select(t => t.Offset));
        Assert.Equal([24L, 12, 4, 3], info.Tensors.Select(t => t.Bytes!.Value));
    }

    [Fact]
    public void A_file_cut_anywhere_is_refused()
    {
        var bytes = File(Good, 43);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var message = Assert.Throws<ModelFileException>(() => Read(bytes[..cut])).Message;
            Assert.True(message.Contains("header length") || message.Contains("truncated"), $"cut at {cut}: {message}");
        }
    }

    [Theory]
    [InlineData("""{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}""", "outside the file's 8 bytes of data", 8)]
    [InlineData("""{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}""", "is F32 of shape [3] but has 16 bytes", 16)]
    [InlineData("""{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}""", "a shape entry that is not a count: -1", 4)]
    [InlineData("""{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}""", "more elements than a file can hold", 4)]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}""", "lies at [8, 4)", 8)]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1], "data_offsets": ["0", 4]}}""", "no data_offsets", 4)]
    [InlineData("""{"w": {"shape": [1], "data_offsets": [0, 4]}}""", "has no dtype", 4)]
    [InlineData("""{"w": [1, 2]}""", "tensor 'w' is not an object", 4)]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}""", "appears twice", 4)]
    [InlineData("""{"__metadata__": {"n": 1}}""", "__metadata__.n is not a string", 0)]
    [InlineData("""[1, 2, 3]""", "not a JSON object", 0)]
    [InlineData("""{"w": """, "the header is not JSON", 0)]
    public void Corrupt_headers_are_refused_saying_what_is_wrong(string header, string mentions, int dataBytes) =>
        Assert.Contains(mentions, Refused(header, dataBytes));

    [Fact]
    public void A_header_length_past_the_file_and_invalid_utf8_are_refused()
    {
        var bytes = File(Good, 43);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Assert.Contains("header length 18446744073709551615 does not fit", Assert.Throws<ModelFileException>(() => Read(bytes)).Message);
        var bad = File("{\"w\": 1}", 0);
        bad[10] = 0xff; // the 'w': a byte never valid in UTF-8
        Assert.Contains("not valid UTF-8", Assert.Throws<ModelFileException>(() => Read(bad)).Message);
    }
}
