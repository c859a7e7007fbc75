using System.Text.Json;
using Ipw.Abstractions;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp.Tests;

/// <summary>The parts of a model folder around the weights: shards, configs, rope scaling, templates and a metaspace tokenizer.</summary>
public sealed class FormatTests
{
    private static readonly TinyHfModel.Shape Small = new("llama", 32, 2, 4, 2, 64, 64, false);

    private static float[] LastLogits(string folder, int[] tokens)
    {
        var config = HfConfig.Load(folder);
        using var _ = no_grad();
        using var model = CausalLm.Load(folder, config, CPU, ScalarType.Float32);
        using var cache = model.NewCache(tokens.Length);
        using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length], int64);
        using var logits = model.Forward(ids, cache);
        return logits.data<float>().ToArray();
    }

    [Fact]
    public void Sharded_weights_named_by_the_index_load_like_one_file()
    {
        TorchFixture.Ensure();
        var whole = TorchFixture.NewFolder("whole");
        TinyHfModel.Write(whole, Small, seed: 3);
        var sharded = TorchFixture.NewFolder("sharded");
        foreach (var f in new[] { "config.json", "tokenizer.json", "tokenizer_config.json" }) File.Copy(Path.Combine(whole, f), Path.Combine(sharded, f));
        var all = Safetensors.LoadStateDict(Path.Combine(whole, "model.safetensors"));
        var names = all.Keys.Order(StringComparer.Ordinal).ToList();
        var map = new Dictionary<string, string>();
        for (var shard = 0; shard < 2; shard++)
        {
            var file = $"model-0000{shard + 1}-of-00002.safetensors";
            var part = names.Where((_, i) => i % 2 == shard).ToDictionary(n => n, n => all[n]);
            Safetensors.SaveStateDict(Path.Combine(sharded, file), part);
            foreach (var n in part.Keys) map[n] = file;
        }
        File.WriteAllText(Path.Combine(sharded, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { }, weight_map = map }));
        foreach (var t in all.Values) t.Dispose();

        Assert.Equal(2, CausalLm.SafetensorsFiles(sharded).Count);
        int[] tokens = [1, 40, 77, 5, 200];
        Assert.Equal(LastLogits(whole, tokens), LastLogits(sharded, tokens));

        File.Delete(Path.Combine(sharded, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<PluginConfigurationException>(() => CausalLm.SafetensorsFiles(sharded));
        Assert.Contains("names model-00002-of-00002.safetensors, which is missing", e.Message);

        File.WriteAllText(Path.Combine(sharded, "model.safetensors.index.json"), "{\"weight_map\": {");
        e = Assert.Throws<PluginConfigurationException>(() => CausalLm.SafetensorsFiles(sharded));
        Assert.Contains("model.safetensors.index.json: not valid JSON", e.Message);
    }

    [Fact]
    public void The_safetensors_header_reader_agrees_with_torchsharp_and_a_cut_file_is_refused_before_libtorch()
    {
        TorchFixture.Ensure();
        var folder = TorchFixture.NewFolder("header");
        TinyHfModel.Write(folder, Small, seed: 3);
        var file = Path.Combine(folder, "model.safetensors");
        var info = Ipw.Abstractions.Models.SafetensorsFile.Read(file);
        var loaded = Safetensors.LoadStateDict(file);
        Assert.Equal(loaded.Keys.Order(StringComparer.Ordinal), info.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(info.Tensors, t => Assert.Equal(loaded[t.Name].shape, t.Shape));
        Assert.Equal(loaded.Values.Sum(t => t.numel()), info.Parameters);
        foreach (var t in loaded.Values) t.Dispose();

        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length - 1)]);
        var e = Assert.Throws<PluginConfigurationException>(() => CausalLm.Load(folder, HfConfig.Load(folder), CPU, ScalarType.Float32));
        Assert.StartsWith($"{file}: tensor '", e.Message);
        Assert.Contains("truncated?", e.Message);
    }

    [Fact]
    public void A_tensor_that_does_not_match_the_config_is_named()
    {
        TorchFixture.Ensure();
        var folder = TorchFixture.NewFolder("mismatch");
        TinyHfModel.Write(folder, Small, seed: 3);
        var path = Path.Combine(folder, "config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"intermediate_size\": 64", "\"intermediate_size\": 96", StringComparison.Ordinal));
        var e = Assert.Throws<PluginConfigurationException>(() => CausalLm.Load(folder, HfConfig.Load(folder), CPU, ScalarType.Float32));
        Assert.Equal("tensor 'model.layers.0.mlp.gate_proj.weight' has shape [64, 32], the config implies [96, 32]", e.Message);
    }

    [Fact]
    public void Llama3_rope_scaling_keeps_short_wavelengths_slows_long_ones_and_blends_between()
    {
        // Llama 3.1's values: factor 8, low 1, high 4, original context 8192. Wavelengths below 8192/4 = 2048 keep their
        // frequency, those above 8192 are divided by 8, and one between is the blend of the two by its position in the band.
        var scaling = new RopeScaling("llama3", 8, 1, 4, 8192);
        var shortWave = 2 * Math.PI / 1000;   // wavelength 1000
        var longWave = 2 * Math.PI / 20000;   // wavelength 20000
        var between = 2 * Math.PI / 4096;     // wavelength 4096: 8192 / 4096 = 2, smooth = (2 - 1) / (4 - 1) = 1/3
        var result = scaling.Apply([shortWave, longWave, between]);
        Assert.Equal(shortWave, result[0], 12);
        Assert.Equal(longWave / 8, result[1], 12);
        Assert.Equal((2.0 / 3) * between / 8 + (1.0 / 3) * between, result[2], 12);

        using var doc = JsonDocument.Parse("""{"rope_type":"yarn","factor":4}""");
        var e = Assert.Throws<PluginConfigurationException>(() => RopeScaling.Parse(doc.RootElement, "config.json"));
        Assert.Contains("rope_scaling type 'yarn' is not supported", e.Message);
    }

    [Fact]
    public void Chat_templates_render_each_family_as_its_template_would()
    {
        ChatMessage[] messages = [new("system", "Be brief."), new("user", "Hi?")];
        var added = new Dictionary<string, int>();
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.Detect("{{ '<|im_start|>' }}", added).Render(messages, null));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.Detect("{{ '<|start_header_id|>' }}", added).Render(messages, "<|begin_of_text|>"));
        Assert.Equal("<s>[INST] Be brief.\n\nHi? [/INST]", ChatTemplate.Detect("{{ '[INST]' }}", added).Render(messages, "<s>"));
        Assert.Equal("Be brief.\n\nHi?", ChatTemplate.Detect(null, added).Render(messages, null));
        Assert.Equal("<|eot_id|>", ChatTemplate.Detect("{{ '<|start_header_id|>' }}", added).EndToken);
    }

    /// <summary>Llama 2's layout: specials 0-2, the 256 byte tokens from 3, then pieces.</summary>
    private static string Vocab()
    {
        var entries = new List<string> { "\"<unk>\":0", "\"<s>\":1", "\"</s>\":2" };
        for (var b = 0; b < 256; b++) entries.Add($"\"<0x{b:X2}>\":{3 + b}");
        string[] pieces = ["▁", "t", "h", "e", "c", "a", "▁t", "he", "▁the", "▁c", "at", "▁cat"];
        for (var i = 0; i < pieces.Length; i++) entries.Add($"\"{pieces[i]}\":{259 + i}");
        return "{" + string.Join(",", entries) + "}";
    }

    [Fact]
    public void A_metaspace_tokenizer_marks_word_starts_and_decodes_byte_tokens()
    {
        TorchFixture.Ensure();
        var folder = TorchFixture.NewFolder("metaspace");
        // Llama 2's layout: a Prepend/Replace normalizer with "▁", BPE with byte tokens, and a BOS the config adds.
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), """
            {"added_tokens":[{"id":0,"content":"<unk>","special":true},{"id":1,"content":"<s>","special":true},{"id":2,"content":"</s>","special":true}],
             "normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]},
             "pre_tokenizer":null,
             "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"}]},
             "model":{"type":"BPE","unk_token":"<unk>","byte_fallback":true,
               "vocab":VOCAB,
               "merges":["▁ t","h e","▁t he","▁ c","a t","▁c at"]}}
            """.Replace("VOCAB", Vocab(), StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"bos_token":"<s>","eos_token":"</s>","add_bos_token":true}""");
        var tok = HfTokenizer.Load(folder, [2], 1);
        Assert.Contains("metaspace", tok.Kind);
        Assert.True(tok.AddBos);
        const int the = 259 + 8, cat = 259 + 11, space = 259;
        Assert.Equal([1, the, cat], tok.Encode("the cat", addBos: true));
        Assert.Equal(" the cat", tok.Decode([the, cat]));
        // "€" is not in the vocabulary: its three UTF-8 bytes, E2 82 AC, as byte tokens (id 3 + byte), and back. The cut
        // leaves "▁" before it alone and "cat" after it without its word marker.
        Assert.Equal([1, the, space, 3 + 0xE2, 3 + 0x82, 3 + 0xAC, 259 + 4, 259 + 10], tok.Encode("the €cat", addBos: true));
        Assert.Equal(" the €cat", tok.Decode([the, space, 3 + 0xE2, 3 + 0x82, 3 + 0xAC, 259 + 4, 259 + 10]));
        Assert.Contains(2, tok.EosIds);
    }
}
