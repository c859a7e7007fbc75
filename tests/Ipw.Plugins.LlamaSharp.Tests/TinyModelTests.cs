using System.Security.Cryptography;
using Ipw.Plugins.LlamaSharp;

namespace Ipw.Plugins.LlamaSharp.Tests;

public sealed class TinyModelTests
{
    /// <summary>The built-in model's file, in memory.</summary>
    internal static byte[] Bytes()
    {
        using var ms = new MemoryStream();
        TinyModel.Build().WriteTo(ms);
        return ms.ToArray();
    }

    [Fact]
    public void The_built_in_model_is_byte_identical_every_time()
    {
        var a = Bytes();
        var b = Bytes();
        Assert.Equal(a, b);
        // Pinned: a change to the writer or the weights must bump TinyModel.Version.
        Assert.Equal("a0bf55cfc538d5b4ce301677cf7fe556c3442e3019d6c13de7c107242ca950c2", Convert.ToHexStringLower(SHA256.HashData(a)));
    }

    [Fact]
    public void The_file_is_gguf_v3_with_aligned_tensor_data()
    {
        var bytes = Bytes();
        Assert.Equal("GGUF"u8.ToArray(), bytes[..4]);
        Assert.Equal(3u, BitConverter.ToUInt32(bytes, 4));
        var tensors = BitConverter.ToUInt64(bytes, 8);
        Assert.Equal(3ul + 9ul * TinyModel.BlockCount, tensors); // embd, output_norm, output + 9 per block
        Assert.Equal(0, bytes.Length % 32);
    }

    [Fact]
    public void The_vocabulary_is_byte_level_bpe_with_merges_and_specials()
    {
        var vocab = TinyModel.Vocabulary();
        Assert.Equal("Ġ", vocab[' ']);
        Assert.Equal("Ċ", vocab['\n']);
        Assert.Equal("a", vocab['a']);
        Assert.Contains("Ġthe", vocab);
        Assert.Equal(TinyModel.SpecialTokens, vocab.TakeLast(TinyModel.SpecialTokens.Length));
        Assert.Equal(vocab.Count, vocab.Distinct().Count());
    }
}
