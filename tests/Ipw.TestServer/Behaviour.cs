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
    /// <summary>Stop sending after <see cref="Behaviour.FaultAfterChunks"/> chunks and hold the connection open until the client
    /// gives up.</summary>
    Hang,
    /// <summary>Answer whole, but with <see cref="Behaviour.SlowDripGap"/> between chunks.</summary>
    SlowDrip,
    /// <summary>Cut the connection before any byte of an answer (a server that died with the request in hand).</summary>
    CutBeforeAnswer,
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
    /// <summary>Fastest mode when above 0: answer this many fixed tokens without running the engine (plus up to
    /// <see cref="CannedTokensSpread"/> more, varying by request), for load and attribution tests where the
    /// harness, not the model, is under test.</summary>
    public int CannedTokens { get; init; }
    public int CannedTokensSpread { get; init; }
    /// <summary>A scripted answer: given the last user message, the text to stream word by word (null: answer as
    /// usual), for tests of clients that read what a model says (the judge).</summary>
    public Func<string, string?>? Reply { get; init; }
    /// <summary>Tool-calling mode: to a chat request that offers tools, answer with these calls in turn (the first while
    /// the conversation holds no tool result, the next after one, ...) streamed as vLLM streams them, then as usual (or
    /// <see cref="Reply"/>) once every call has its result.</summary>
    public IReadOnlyList<ScriptedToolCall>? ToolCalls { get; init; }
    /// <summary>Spin the last stretch before each chunk for exact timing (off: plain timers, for thousands of streams).</summary>
    public bool ExactTiming { get; init; } = true;
    /// <summary>Keep a <see cref="ServedRequest"/> per request (off for very long runs).</summary>
    public bool KeepLog { get; init; } = true;
    public Fault Fault { get; init; }
    /// <summary>Replay this golden transcript ("vllm/tool-calls", under tests/fixtures/wire) for the requests it lists.</summary>
    public string? Replay { get; init; }
    /// <summary>The transcript to replay, given whole (a test that edits one); null: load <see cref="Replay"/> by name.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Transcript? Transcript { get; init; }
    public int FaultAfterChunks { get; init; } = 2;
    /// <summary>Apply the fault to every Nth request only (1: every request).</summary>
    public int FaultEvery { get; init; } = 1;
    /// <summary>Faults mixed in by their share of requests (e.g. Disconnect 0.05, Http500 0.02, Hang 0.01, SlowDrip 0.05),
    /// each request drawn from its number, so the same run of requests meets the same faults; at most one each. Null:
    /// <see cref="Fault"/> every <see cref="FaultEvery"/> requests.</summary>
    public Dictionary<Fault, double>? FaultMix { get; init; }
    /// <summary>The gap between chunks of a <see cref="Fault.SlowDrip"/> answer.</summary>
    public TimeSpan SlowDripGap { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>What the server did for one request, on the machine's monotonic clock (shared by every process).</summary>
public sealed record ServedRequest(string Path, string Model, long ReceivedAt, long FirstTextWrittenAt, IReadOnlyList<long> ChunkWrittenAt,
    int PromptTokens, int CompletionTokens, string Text, Fault Fault)
{
    /// <summary>The request body as received.</summary>
    public string RequestJson { get; init; } = "";
    /// <summary>The server's request number (what <see cref="InferenceServer.PhaseHook"/> is called with).</summary>
    public long Number { get; init; }
}

/// <summary>Where a request is, as the server sees it: for scripted power traces that follow the requests.</summary>
public enum ServerPhase
{
    /// <summary>Received, before the first token.</summary>
    Prefill,
    /// <summary>First token written, streaming the rest.</summary>
    Decode,
    /// <summary>Finished (or failed).</summary>
    Done,
}

/// <summary>A tool call the test server makes in its tool-calling mode: the function's name and its arguments (JSON text).</summary>
public sealed record ScriptedToolCall(string Name, string Arguments);
