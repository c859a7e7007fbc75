using System.Globalization;

namespace Ipw.Core.Serving;

/// <summary>
/// How <c>ipw serve start KIND</c> starts a server of each kind: the program, its arguments for the model, the address and
/// the port, where it says it is ready, and how a client reaches it. The program is found on PATH (or given with
/// <c>--exe</c>); arguments after <c>--</c> are appended as given.
/// </summary>
public sealed record ServerRecipe(string Kind, string Program, int DefaultPort, string ReadyPath, string Client)
{
    public static IReadOnlyList<ServerRecipe> All { get; } =
    [
        // llama.cpp's server: /health answers 503 while the model loads, 200 once it serves.
        new("llamacpp", "llama-server", 8080, "/health", "llamacpp"),
        // vLLM's OpenAI server listens only once the model is loaded; /health is 200 from then on.
        new("vllm", "vllm", 8000, "/health", "vllm"),
        // Ollama serves every model it has pulled; /api/version answers once it listens. The model loads on first use
        // (ipw serve start loads it right away when --model is given).
        new("ollama", "ollama", 11434, "/api/version", "ollama"),
    ];

    public static ServerRecipe Find(string kind) =>
        All.FirstOrDefault(r => r.Kind == kind)
        ?? throw new UserError($"ipw serve start: unknown server '{kind}' (known: {string.Join(", ", All.Select(r => r.Kind))})");

    /// <summary>The command line (for /bin/sh) and the environment the server is started with.</summary>
    public (string Command, Dictionary<string, string> Environment) CommandLine(string exe, string? model, string host, int port, IReadOnlyList<string> extra)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>();
        if (model is null && Kind != "ollama")
            throw new UserError($"ipw serve start {Kind} needs --model: {(Kind == "llamacpp" ? "the GGUF file to serve" : "a Hugging Face name or a model folder")}");
        List<string> args = Kind switch
        {
            "llamacpp" => ["-m", model!, "--host", host, "--port", p],
            "vllm" => ["serve", model!, "--host", host, "--port", p],
            _ => ["serve"],
        };
        if (Kind == "ollama") environment["OLLAMA_HOST"] = $"{host}:{p}";
        return (string.Join(' ', new[] { exe }.Concat(args).Concat(extra).Select(Quote)), environment);
    }

    /// <summary>The base URL a client is given (<c>--client-base-url</c>).</summary>
    public string BaseUrl(string host, int port) => Kind == "ollama" ? $"http://{host}:{port}" : $"http://{host}:{port}/v1";

    /// <summary>A word for /bin/sh: as it is when it holds only safe characters, else in single quotes.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
