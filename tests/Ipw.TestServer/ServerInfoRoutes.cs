using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ipw.TestServer;

/// <summary>The routes servers answer about themselves, in each server's shape: vLLM's and llama.cpp's <c>/health</c>,
/// vLLM's <c>/version</c>, llama.cpp's <c>/props</c>, Ollama's <c>/</c>, <c>/api/version</c> and <c>/api/show</c>.</summary>
internal static class ServerInfoRoutes
{
    public const string Version = "0.0.0-ipw-test";

    /// <param name="modelPath">The GGUF the engine serves: llama.cpp's <c>/props</c> names its model file by its path.</param>
    public static void Map(WebApplication app, string model, string modelPath)
    {
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/version", () => Results.Json(new { version = Version }));
        app.MapGet("/props", () => Results.Json(new
        {
            default_generation_settings = new { n_ctx = 16384, model = model },
            total_slots = 1,
            model_path = modelPath,
            build_info = "b0-ipw-test",
        }));
        app.MapGet("/", () => Results.Text("Ollama is running"));
        app.MapGet("/api/version", () => Results.Json(new { version = Version }));
        app.MapPost("/api/show", () => Results.Json(new
        {
            modelfile = "",
            parameters = "",
            template = "{{ .Prompt }}",
            details = new { parent_model = "", format = "gguf", family = "llama", families = new[] { "llama" }, parameter_size = "1M", quantization_level = "F32" },
            model_info = new Dictionary<string, object> { ["general.architecture"] = "llama", ["general.parameter_count"] = 1_000_000 },
        }));
    }
}
