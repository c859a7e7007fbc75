using System.Text.Json;
using Ipw.Abstractions.Models;

namespace Ipw.Plugins.Http;

/// <summary>
/// The served model's shape for FLOPs (<see cref="ModelShape"/>), from what the server says of it, where it says enough:
/// Ollama's <c>/api/show</c> lists the GGUF's tensors and its metadata (counted as a GGUF file's would be, exactly);
/// llama.cpp's <c>/props</c> names the file it serves (read when this machine can read it), and otherwise its
/// <c>/v1/models</c> gives only the parameter count, embedding width and vocabulary: the weights a token meets are then
/// the parameters less the input embedding, with no attention context term (the server does not say its layers or
/// heads), and a head tied to the embedding not counted. <c>--model-config</c> overrides both.
/// </summary>
internal static class ServedShape
{
    /// <summary>From an <c>/api/show</c> answer: its <c>tensors</c> (name, type, shape) and <c>model_info</c>; null when
    /// it lists no tensors (older Ollama), lists only some blocks', or lacks a key the count needs.</summary>
    public static ModelShape? FromOllamaShow(JsonElement show)
    {
        if (!show.TryGetProperty("tensors", out var tensors) || tensors.ValueKind != JsonValueKind.Array || tensors.GetArrayLength() == 0) return null;
        if (!show.TryGetProperty("model_info", out var info) || info.ValueKind != JsonValueKind.Object) return null;
        var list = new List<ModelTensor>();
        foreach (var t in tensors.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !t.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array) return null;
            var dims = new List<long>();
            foreach (var d in shape.EnumerateArray())
            {
                if (!d.TryGetInt64(out var v)) return null;
                dims.Add(v);
            }
            list.Add(new ModelTensor(name.GetString()!, t.TryGetProperty("type", out var type) ? type.GetString() ?? "" : "", dims, 0, null));
        }
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var p in info.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.String) metadata[p.Name] = p.Value.GetString()!;
            else if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var l)) metadata[p.Name] = l;
        }
        // A list cut short (a server or proxy that trims it) would count a fraction of the model: every block is named.
        var arch = metadata.GetValueOrDefault("general.architecture") as string;
        if (metadata.GetValueOrDefault($"{arch}.block_count") is not long blocks
            || Enumerable.Range(0, (int)blocks).Any(b => !list.Any(t => t.Name.StartsWith($"blk.{b}.", StringComparison.Ordinal)))) return null;
        try
        {
            var shapeOf = ModelShape.FromGguf(new ModelFileInfo("gguf", list, metadata));
            return shapeOf with { Source = $"Ollama /api/show tensors ({arch})" };
        }
        catch (ModelFileException)
        {
            return null;
        }
    }

    /// <summary>llama.cpp: the GGUF <c>/props</c> names when this machine can read it (the server runs here), else the
    /// parameter count of <c>/v1/models</c>' <c>meta</c>; null when neither says enough.</summary>
    public static ModelShape? FromLlamaCpp(string? modelPath, JsonElement meta)
    {
        if (modelPath is not null && modelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && File.Exists(modelPath))
        {
            try
            {
                return ModelShape.FromGguf(GgufFile.Read(modelPath)) with { Source = $"llama.cpp /props model_path: GGUF tensors of {Path.GetFileName(modelPath)}" };
            }
            catch (Exception e) when (e is ModelFileException or IOException)
            {
                // the file changed or is not what it says: fall back to the counts
            }
        }
        if (meta.ValueKind != JsonValueKind.Object) return null;
        long? Field(string name) => meta.TryGetProperty(name, out var v) && v.TryGetInt64(out var l) && l > 0 ? l : null;
        if (Field("n_params") is not { } parameters || Field("n_vocab") is not { } vocab || Field("n_embd") is not { } width || parameters <= vocab * width) return null;
        return new ModelShape(0, parameters - vocab * width, 0,
            "llama.cpp /v1/models meta: n_params less the n_vocab × n_embd input embedding, a lower bound: without attention's context "
            + "term (the server does not say its layers or heads), and without the output head where it is tied to the embedding "
            + "(the file then holds one copy); --model-config gives the exact count");
    }
}
