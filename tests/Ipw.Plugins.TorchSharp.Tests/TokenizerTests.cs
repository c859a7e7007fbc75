namespace Ipw.Plugins.TorchSharp.Tests;

/// <summary>The tokenizer.json reader, on the tiny models' real byte-level BPE.</summary>
public sealed class TokenizerTests
{
    private static HfTokenizer Load(string type)
    {
        TorchFixture.Ensure();
        var folder = TorchFixture.NewFolder("tok-" + type);
        TinyHfModel.Write(folder, new TinyHfModel.Shape(type, 16, 1, 2, type == "gpt2" ? 2 : 1, 32, 32, true), seed: 1);
        var config = HfConfig.Load(folder);
        return HfTokenizer.Load(folder, config.EosTokenIds, config.BosTokenId);
    }

    private static int Id(string token) => TinyHfModel.Vocabulary().ToList().IndexOf(token);

    [Theory]
    [InlineData("llama")]
    [InlineData("gpt2")]
    public void Merges_apply_in_priority_order_and_decoding_restores_the_text(string type)
    {
        var tok = Load(type);
        // " the": Ġ+t (rank 0), h+e (2), then Ġt+he (6): one token. " and": Ġ+a (1), then n+d (15) outranks Ġa+n (23),
        // so the result is Ġa + nd and the later merge Ġan+d never applies.
        Assert.Equal([Id("a"), Id("nd"), Id("Ġthe")], tok.Encode("and the", addBos: false));
        Assert.Equal([Id("Ġa"), Id("nd")], tok.Encode(" and", addBos: false));
        foreach (var text in new[] { "The quick brown fox, 12 345!", "naïve café — 東京", "line one\nline two\n\n  indented", "" })
            Assert.Equal(text, tok.Decode(tok.Encode(text, addBos: false)));
    }

    [Fact]
    public void Special_tokens_in_the_text_encode_as_themselves()
    {
        var tok = Load("llama");
        var ids = tok.Encode("<|im_start|>user\nhi<|im_end|>", addBos: false);
        Assert.Equal(Id("<|im_start|>"), ids[0]);
        Assert.Equal(Id("<|im_end|>"), ids[^1]);
        Assert.Equal("<|im_start|>user\nhi<|im_end|>", tok.Decode(ids));
        Assert.Contains(Id("<|im_end|>"), tok.EosIds);
        Assert.Equal("chatml", tok.Template.Family);
    }

    [Fact]
    public void A_byte_split_across_tokens_counts_every_byte()
    {
        var tok = Load("llama");
        // "東" is three UTF-8 bytes and no merge joins them: three byte tokens.
        Assert.Equal(3, tok.Encode("東", addBos: false).Count);
    }

    [Fact]
    public void Unsupported_tokenizer_models_are_refused_in_words()
    {
        TorchFixture.Ensure();
        var folder = TorchFixture.NewFolder("tok-wordpiece");
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), """{"model":{"type":"WordPiece","vocab":{}}}""");
        var e = Assert.Throws<Ipw.Abstractions.PluginConfigurationException>(() => HfTokenizer.Load(folder, [], null));
        Assert.Contains("WordPiece", e.Message);
        Assert.Contains("tokenizer.json", e.Message);
    }
}
