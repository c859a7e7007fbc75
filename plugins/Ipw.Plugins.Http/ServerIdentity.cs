using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace Ipw.Plugins.Http;

/// <summary>
/// What a server says of itself, read once at prepare time for summary.json's <c>server</c> section, so two runs
/// can be compared knowing what served them: vLLM's <c>/version</c>, llama.cpp's <c>/props</c>, Ollama's
/// <c>/api/version</c> and <c>/api/show</c>, and the served model's <c>owned_by</c> in <c>/v1/models</c>. A route a
/// server lacks adds nothing; it is never an error. Each returns the served model's shape for FLOPs where the server
/// says enough of it (<see cref="ServedShape"/>).
/// </summary>
internal static class ServerIdentity
{
    public static async Task<Ipw.Abstractions.Models.ModelShape?> ReadOpenAiAsync(ServiceProbe probe, OpenAiFlavor flavor, JsonElement model,
        ConcurrentDictionary<string, string> into, CancellationToken ct)
    {
        string? modelPath = null;
        into["kind"] = OpenAiClient.NameOf(flavor);
        Copy(model, "owned_by", into, "owned_by");
        Copy(model, "max_model_len", into, "max_model_len");
        var hasMeta = model.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object;
        if (hasMeta)
        {
            // llama.cpp describes the GGUF it serves here.
            Copy(meta, "n_params", into, "model_params");
            Copy(meta, "n_ctx_train", into, "model_ctx_train");
            Copy(meta, "size", into, "model_size_bytes");
        }
        using (var version = await probe.TryGetJsonAsync("version", ct).ConfigureAwait(false))
            if (version is not null) Copy(version.RootElement, "version", into, "version");
        if (flavor == OpenAiFlavor.LlamaCpp || (flavor == OpenAiFlavor.OpenAi && !into.ContainsKey("version")))
        {
            using var props = await probe.TryGetJsonAsync("props", ct).ConfigureAwait(false);
            if (props is not null)
            {
                var root = props.RootElement;
                Copy(root, "build_info", into, "build_info");
                Copy(root, "model_path", into, "model_path");
                if (root.TryGetProperty("model_path", out var path) && path.ValueKind == JsonValueKind.String) modelPath = path.GetString();
                Copy(root, "total_slots", into, "total_slots");
                if (root.TryGetProperty("default_generation_settings", out var gen) && gen.ValueKind == JsonValueKind.Object)
                    Copy(gen, "n_ctx", into, "n_ctx");
                Copy(root, "n_ctx", into, "n_ctx");
            }
        }
        return hasMeta || modelPath is not null ? ServedShape.FromLlamaCpp(modelPath, hasMeta ? meta : default) : null;
    }

    /// <summary>Ollama: its version, and the model's family, size and quantisation from <c>/api/show</c>.</summary>
    public static async Task<Ipw.Abstractions.Models.ModelShape?> ReadOllamaAsync(ServiceProbe probe, string version, string model,
        ConcurrentDictionary<string, string> into, CancellationToken ct)
    {
        into["kind"] = "ollama";
        into["version"] = version;
        using var show = await probe.TryJsonAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/show")
        {
            Content = JsonBody.Create(w =>
            {
                w.WriteStartObject();
                w.WriteString("model", model);
                w.WriteEndObject();
            }),
        }, ct).ConfigureAwait(false);
        if (show is null) return null;
        if (show.RootElement.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object)
        {
            foreach (var key in new[] { "format", "family", "parameter_size", "quantization_level" }) Copy(details, key, into, "model_" + key);
        }
        Copy(show.RootElement, "modified_at", into, "model_modified_at");
        if (show.RootElement.TryGetProperty("model_info", out var info) && info.ValueKind == JsonValueKind.Object)
        {
            Copy(info, "general.architecture", into, "model_architecture");
            Copy(info, "general.parameter_count", into, "model_parameter_count");
        }
        return ServedShape.FromOllamaShow(show.RootElement);
    }

    private static void Copy(JsonElement from, string name, ConcurrentDictionary<string, string> into, string key)
    {
        if (!from.TryGetProperty(name, out var v)) return;
        var text = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.TryGetInt64(out var l) ? l.ToString(CultureInfo.InvariantCulture) : v.GetDouble().ToString("R", CultureInfo.InvariantCulture),
            JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => null,
        };
        if (!string.IsNullOrEmpty(text)) into[key] = text;
    }
}
