using System.Buffers.Binary;
using System.Text;
using Ipw.Abstractions;
using Ipw.Abstractions.Models;
using Ipw.Plugins.LlamaSharp;

namespace Ipw.Plugins.LlamaSharp.Tests;

/// <summary>The GGUF header reader on the file llama.cpp loads (the built-in model) and on that file cut and corrupted:
/// every bad file is refused with a <see cref="ModelFileException"/> naming what is wrong, never another exception.</summary>
public sealed class GgufFileTests
{
    private static ModelFileInfo Read(byte[] bytes) => GgufFile.Read(new MemoryStream(bytes));

    private static string Refused(byte[] bytes) => Assert.Throws<ModelFileException>(() => Read(bytes)).Message;

    [Fact]
    public void The_model_llama_cpp_loads_reads_with_its_tensors_laid_inside_the_file()
    {
        var bytes = TinyModelTests.Bytes();
        var info = Read(bytes);
        Assert.Equal("gguf", info.Format);
        Assert.Equal("llama", info.Architecture);
        Assert.Equal(3 + 9 * TinyModel.BlockCount, info.Tensors.Count);
        Assert.All(info.Tensors, t => Assert.Equal("F32", t.Type));
        Assert.Equal(info.Parameters * 4, info.Tensors.Sum(t => t.Bytes!.Value));
        Assert.Equal((ulong)32, info.Metadata["general.alignment"]);
        var embd = info.Tensors.Single(t => t.Name == "token_embd.weight");
        Assert.Equal(TinyModel.EmbeddingLength, embd.Shape[0]);
        Assert.All(info.Tensors, t => Assert.True(t.Offset % 32 == 0 && t.Offset + t.Bytes <= bytes.Length));
        var last = info.Tensors.MaxBy(t => t.Offset)!;
        Assert.Equal(bytes.Length, last.Offset + last.Bytes!.Value + (32 - (last.Bytes.Value % 32)) % 32);
    }

    [Fact]
    public void A_file_cut_anywhere_is_refused_as_truncated()
    {
        var bytes = TinyModelTests.Bytes();
        var info = Read(bytes);
        var headerEnd = (int)info.Tensors.Min(t => t.Offset);
        // Every cut inside the header (every byte of the first 4 KiB, then strides) and inside the tensor data.
        var cuts = Enumerable.Range(0, Math.Min(4096, headerEnd)).Concat(Enumerable.Range(0, 64).Select(i => headerEnd + i * (bytes.Length - headerEnd) / 64 + 1));
        foreach (var cut in cuts.Where(c => c < bytes.Length))
        {
            var message = Refused(bytes[..cut]);
            Assert.True(message.Contains("truncated") || message.Contains("not a GGUF file") || message.Contains("more than the file"), $"cut at {cut}: {message}");
        }
    }

    [Fact]
    public void Corrupt_headers_are_refused_saying_what_is_wrong()
    {
        var bytes = TinyModelTests.Bytes();
        Assert.Contains("version 4 is not supported", Refused(With(bytes, 4, 4u)));
        Assert.Contains("the tensor count is 1152921504606846976, more than the file", Refused(With(bytes, 8, 1UL << 60)));
        Assert.Contains("the metadata count is", Refused(With(bytes, 16, ulong.MaxValue)));

        // The first key/value is general.alignment (u32 32): its type, then its value.
        var keyLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24));
        var typeAt = 24 + 8 + keyLength;
        Assert.Equal("general.alignment", Encoding.UTF8.GetString(bytes, 32, keyLength));
        Assert.Contains("value type 13, which GGUF does not define", Refused(With(bytes, typeAt, 13u)));
        Assert.Contains("general.alignment is 48", Refused(With(bytes, typeAt + 4, 48u)));

        // A tensor whose data would run past the end: the first tensor info's first dimension made huge.
        var info = Read(bytes);
        var first = info.Tensors[0];
        var nameAt = IndexOf(bytes, Encoding.UTF8.GetBytes(first.Name));
        var dimsAt = nameAt + first.Name.Length + 4;
        Assert.Contains($"tensor '{first.Name}' needs", Refused(With(bytes, dimsAt, 1UL << 40)));
        Assert.Contains("more elements than a file can hold", Refused(With(bytes, dimsAt, 1UL << 62)));
        Assert.Contains("dimensions (1 to 4)", Refused(With(bytes, dimsAt - 4, 5u)));
        var offsetAt = dimsAt + 8 * first.Shape.Count + 4;
        Assert.Contains("not a multiple of the alignment 32", Refused(With(bytes, offsetAt, 8UL)));
    }

    [Fact]
    public void A_truncated_model_is_a_one_line_configuration_error_before_llama_cpp_sees_it()
    {
        var dir = Directory.CreateTempSubdirectory("ipw-gguf-").FullName;
        var path = Path.Combine(dir, "cut.gguf");
        var bytes = TinyModelTests.Bytes();
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<PluginConfigurationException>(() => LlamaSharpClient.ResolveModel(path));
        Assert.StartsWith($"model file '{path}': tensor '", e.Message);
        Assert.Contains("past the end of the file", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Directory.Delete(dir, true);
    }

    private static byte[] With(byte[] bytes, int at, uint value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    private static byte[] With(byte[] bytes, int at, ulong value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
