using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>Registers the HTTP clients: ollama, vllm, openai and llamacpp.</summary>
public sealed class HttpPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddClient(new ClientDescriptor("ollama",
            "Ollama's native API (/api/chat or /api/generate, NDJSON); default http://127.0.0.1:11434",
            options => new OllamaClient(options)));
        registry.AddClient(new ClientDescriptor("vllm",
            "vLLM's OpenAI API (SSE) with per-chunk usage, /tokenize and /metrics; default http://127.0.0.1:8000",
            options => new OpenAiClient(OpenAiFlavor.Vllm, options)));
        registry.AddClient(new ClientDescriptor("openai",
            "any OpenAI-compatible server (/v1/chat/completions or /v1/completions, SSE); needs --client-base-url",
            options => new OpenAiClient(OpenAiFlavor.OpenAi, options)));
        registry.AddClient(new ClientDescriptor("llamacpp",
            "llama.cpp's server (OpenAI API, keeps its timings); default http://127.0.0.1:8080",
            options => new OpenAiClient(OpenAiFlavor.LlamaCpp, options)));
    }
}
