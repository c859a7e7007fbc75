using System.Text.Json;
using System.Text.Json.Nodes;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

/// <summary>The served model's shape for FLOPs, read from what the servers' golden transcripts say of their model.</summary>
public sealed class ServedShapeTests
{
    private static string Body(string transcript, string path) => Transcript.Named(transcript).Exchanges.First(e => e.Path == path).Body!;

    [Fact]
    public void Ollamas_show_tensors_count_llama_3_2_1b_exactly_with_its_tied_head()
    {
        using var show = JsonDocument.Parse(Body("ollama/chat-stream", "/api/show"));
        var shape = ServedShape.FromOllamaShow(show.RootElement);
        Assert.NotNull(shape);
        // By hand from the published shape: per block q 2048², k and v 2048×512, o 2048², gate, up and down 2048×8192;
        // 16 blocks, and the head is token_embd again (128256 × 2048): 16 · 60,817,408 + 262,668,288.
        Assert.Equal(16, shape.Layers);
        Assert.Equal(16L * (2 * 2048 * 2048 + 2 * 2048 * 512 + 3 * 2048 * 8192) + 128256L * 2048, shape.MatmulWeights);
        Assert.Equal(1_235_746_816, shape.MatmulWeights); // general.parameter_count less the 33 norms' 67,584 weights
        Assert.Equal(32 * 64, shape.AttentionWidth);
        Assert.Equal("Ollama /api/show tensors (llama)", shape.Source);
    }

    [Fact]
    public void A_show_without_every_blocks_tensors_or_without_tensors_gives_no_shape()
    {
        var show = JsonNode.Parse(Body("ollama/chat-stream", "/api/show"))!.AsObject();
        var tensors = show["tensors"]!.AsArray();
        foreach (var t in tensors.Where(t => t!["name"]!.GetValue<string>().StartsWith("blk.15.", StringComparison.Ordinal)).ToList()) tensors.Remove(t);
        using (var cut = JsonDocument.Parse(show.ToJsonString())) Assert.Null(ServedShape.FromOllamaShow(cut.RootElement));
        show.Remove("tensors");
        using (var old = JsonDocument.Parse(show.ToJsonString())) Assert.Null(ServedShape.FromOllamaShow(old.RootElement));
    }

    [Fact]
    public void Llama_cpp_meta_gives_a_lower_bound_without_attention_and_says_so()
    {
        using var models = JsonDocument.Parse(Body("llamacpp/props-and-health", "/v1/models"));
        var meta = models.RootElement.GetProperty("data")[0].GetProperty("meta");
        // /props names a file this machine does not have: the counts it gives are what is left.
        var shape = ServedShape.FromLlamaCpp("/models/not-here.gguf", meta);
        Assert.NotNull(shape);
        Assert.Equal(1_235_814_400L - 128_256L * 2048, shape.MatmulWeights);
        Assert.Equal(0, shape.Layers);
        Assert.Equal(0, shape.AttentionWidth);
        Assert.Contains("lower bound", shape.Source);
        Assert.Equal(2.0 * shape.MatmulWeights * 100, shape.PrefillFlops(100)); // no context term
        using var partial = JsonDocument.Parse("""{"n_vocab": 128256, "n_embd": 2048}""");
        Assert.Null(ServedShape.FromLlamaCpp(null, partial.RootElement));
    }
}
