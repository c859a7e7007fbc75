using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ipw.TestServer;

/// <summary>
/// A golden wire transcript (tests/fixtures/wire/SERVER/NAME.json): what a real server answered, byte for byte and
/// on its schedule, written from that server's public documentation and source. See tests/fixtures/wire/README.md.
/// </summary>
public sealed record Transcript
{
    public string Server { get; init; } = "";
    public string Versions { get; init; } = "";
    public string Quirk { get; init; } = "";
    [JsonPropertyName("facts_from")]
    public string FactsFrom { get; init; } = "";
    /// <summary>The ipw client that talks to this server: vllm, openai, llamacpp or ollama.</summary>
    public string Client { get; init; } = "openai";
    /// <summary>chat or completions (OpenAI); chat or generate (Ollama).</summary>
    public string Endpoint { get; init; } = "chat";
    public List<Exchange> Exchanges { get; init; } = [];
    public TranscriptExpectation Expect { get; init; } = new();

    /// <summary>The file's name under the fixtures folder, e.g. "vllm/tool-calls".</summary>
    [JsonIgnore]
    public string Name { get; init; } = "";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { ReadCommentHandling = JsonCommentHandling.Skip };

    public static Transcript Load(string path, string name) =>
        (JsonSerializer.Deserialize<Transcript>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty transcript")) with { Name = name };

    /// <summary>The folder of transcripts: tests/fixtures/wire, found from the running assembly upwards.</summary>
    public static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "wire");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/wire not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every transcript, by name ("vllm/tool-calls").</summary>
    public static IEnumerable<Transcript> All()
    {
        var root = Folder();
        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(root, file)[..^5].Replace('\\', '/');
            yield return Load(file, name);
        }
    }

    public static Transcript Named(string name) => Load(Path.Combine(Folder(), name + ".json"), name);

    /// <summary>When the chunk carrying the first token (the one written at <see cref="TranscriptExpectation.TtftMs"/>)
    /// really left the server, as a monotonic timestamp, from the server's log of this replay: a loaded machine may
    /// write it later than scheduled, and a client is judged on how late it read the chunk, not on the scheduler.</summary>
    public long? FirstTokenFlushedAt(IEnumerable<ServedRequest> served)
    {
        if (Expect.TtftMs is not { } ttft || Exchanges.FirstOrDefault(e => e.Chunks is { Count: > 0 }) is not { } stream) return null;
        var index = stream.Chunks!.Select((c, i) => (Gap: Math.Abs(c.AtMs - ttft), i)).Min().i;
        // A client that found a fault hangs up: the chunks written before that are logged.
        var request = served.LastOrDefault(s => s.Path == stream.Path && s.ChunkWrittenAt.Count > index);
        return request?.ChunkWrittenAt[index];
    }
}

/// <summary>One request and the server's answer: a whole body, or chunks written at their times.</summary>
public sealed record Exchange
{
    public string Method { get; init; } = "GET";
    public string Path { get; init; } = "/";
    public int Status { get; init; } = 200;
    public Dictionary<string, string> Headers { get; init; } = [];
    public string? Body { get; init; }
    public List<TimedChunk>? Chunks { get; init; }
    /// <summary>The server closes the connection once this answer is written, whatever its headers say.</summary>
    [JsonPropertyName("close_after")]
    public bool CloseAfter { get; init; }
}

/// <summary>Bytes written and flushed <see cref="AtMs"/> milliseconds after the request arrived.</summary>
public sealed record TimedChunk
{
    [JsonPropertyName("at_ms")]
    public double AtMs { get; init; }
    public string Bytes { get; init; } = "";
}

/// <summary>What a client must make of the transcript.</summary>
public sealed record TranscriptExpectation
{
    /// <summary>ok, or the error class as the record's status column names it.</summary>
    public string Status { get; init; } = "ok";
    [JsonPropertyName("error_contains")]
    public string? ErrorContains { get; init; }
    public string? Text { get; init; }
    public string? Reasoning { get; init; }
    [JsonPropertyName("ttft_ms")]
    public double? TtftMs { get; init; }
    [JsonPropertyName("input_tokens")]
    public long? InputTokens { get; init; }
    [JsonPropertyName("output_tokens")]
    public long? OutputTokens { get; init; }
    [JsonPropertyName("cached_input_tokens")]
    public long? CachedInputTokens { get; init; }
    [JsonPropertyName("reasoning_tokens")]
    public long? ReasoningTokens { get; init; }
    [JsonPropertyName("tool_calls")]
    public int? ToolCalls { get; init; }
    /// <summary>The calls put together from the stream: id, name and arguments, in order.</summary>
    [JsonPropertyName("tool_call_requests")]
    public List<ExpectedToolCall>? ToolCallRequests { get; init; }
    [JsonPropertyName("finish_reason")]
    public string? FinishReason { get; init; }
    public Dictionary<string, JsonElement>? Server { get; init; }
}

/// <summary>A tool call a transcript's stream carries, as the client should put it together.</summary>
public sealed record ExpectedToolCall(string? Id, string Name, string Arguments);
