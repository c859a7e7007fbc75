namespace Ipw.TestServer;

/// <summary>Faults the server can inject.</summary>
public enum Fault
{
    None,
    /// <summary>HTTP 500 with an error body.</summary>
    Http500,
    /// <summary>HTTP 429 (rate limited).</summary>
    Http429,
    /// <summary>Abort the connection after <see cref="Behaviour.FaultAfterChunks"/> chunks.</summary>
    Disconnect,
    /// <summary>Send a malformed JSON chunk after <see cref="Behaviour.FaultAfterChunks"/> chunks.</summary>
    Malformed,
    /// <summary>Send an error object in the stream after <see cref="Behaviour.FaultAfterChunks"/> chunks.</summary>
    ErrorEvent,
}

/// <summary>How the server answers; tests swap it between runs. Delays are ground truth for timing tests:
/// the first text chunk is written <see cref="FirstTokenDelay"/> after the request arrived (or when
/// generation finishes, if later), and later chunks <see cref="InterChunkDelay"/> apart.</summary>
public sealed record Behaviour
{
    public TimeSpan FirstTokenDelay { get; init; }
    public TimeSpan InterChunkDelay { get; init; }
    /// <summary>The first N generated tokens are sent as reasoning (reasoning_content / thinking).</summary>
    public int ReasoningTokens { get; init; }
    /// <summary>OpenAI: send a role-only chunk at once, before the delay.</summary>
    public bool RoleOnlyFirstChunk { get; init; } = true;
    public int TokensPerChunk { get; init; } = 1;
    /// <summary>OpenAI: omit the usage chunk (as some servers do).</summary>
    public bool OmitUsage { get; init; }
    /// <summary>OpenAI: send the reasoning under "reasoning" (newer vLLM) instead of "reasoning_content".</summary>
    public bool ReasoningFieldIsReasoning { get; init; }
    public Fault Fault { get; init; }
    public int FaultAfterChunks { get; init; } = 2;
    /// <summary>Apply the fault to every Nth request only (1: every request).</summary>
    public int FaultEvery { get; init; } = 1;
}

/// <summary>What the server did for one request, on the machine's monotonic clock (shared by every process).</summary>
public sealed record ServedRequest(string Path, string Model, long ReceivedAt, long FirstTextWrittenAt, IReadOnlyList<long> ChunkWrittenAt,
    int PromptTokens, int CompletionTokens, string Text, Fault Fault)
{
    /// <summary>The request body as received.</summary>
    public string RequestJson { get; init; } = "";
}
