using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>
/// What one streamed response has delivered so far. Parsers append into it without allocating per
/// chunk: text goes into reused UTF-8 buffers, chunks into a list of structs.
/// </summary>
internal sealed class StreamState(int maxTokens = 512)
{
    // Sized for the request (a few bytes per token), then grown as needed: thousands of concurrent streams each
    // holding 12 KiB of empty chunk slots were a large share of the harness's allocation and GC pauses.
    private readonly ArrayBufferWriter<byte> _content = new(Math.Clamp(maxTokens * 6, 256, 4096));
    private readonly ArrayBufferWriter<byte> _reasoning = new(64);

    public List<StreamChunk> Chunks { get; } = new(Math.Clamp(maxTokens + 4, 8, 64));
    public long? InputTokens { get; set; }
    public long? OutputTokens { get; set; }
    /// <summary>Prompt tokens served from the server's prefix cache, when it says.</summary>
    public long? CachedInputTokens { get; set; }
    public string UsageSource { get; set; } = "server-usage";
    public Dictionary<string, double> Timings { get; } = [];
    public string? FinishReason { get; set; }
    public ClientError? Error { get; set; }

    /// <summary>The stream's terminator arrived ([DONE], done:true, or an error). A stream that ends without one is
    /// still whole when a finish reason came; without either it was cut.</summary>
    public bool Completed { get; set; }

    /// <summary>Output tokens spent on reasoning, when the server says.</summary>
    public long? ReasoningTokens { get; set; }

    /// <summary>The first <c>system_fingerprint</c> the stream carried.</summary>
    public string? SystemFingerprint { get; set; }

    /// <summary>Distinct tool calls seen (by their <c>index</c>).</summary>
    public int ToolCalls { get; private set; }

    /// <summary>Notes a tool call delta's index: calls are numbered from 0, so the count is the highest index + 1.</summary>
    public void SawToolCall(int index) => ToolCalls = Math.Max(ToolCalls, index + 1);

    // The calls being put together, by index (rare: allocated only when a stream carries one).
    private List<(string? Id, StringBuilder Name, StringBuilder Arguments)>? _calls;
    private int[]? _callLengths;

    /// <summary>A piece of tool call <paramref name="index"/>: its id and name when they come, its arguments appended.</summary>
    public void AddToolCallDelta(int index, string? id, string? name, string? arguments)
    {
        SawToolCall(index);
        _calls ??= [];
        while (_calls.Count <= index) _calls.Add((null, new StringBuilder(), new StringBuilder()));
        var call = _calls[index];
        if (id is not null && call.Id is null) _calls[index] = call = (id, call.Name, call.Arguments);
        if (name is not null) call.Name.Append(name);
        if (arguments is not null) call.Arguments.Append(arguments);
    }

    /// <summary>The tool calls put together so far.</summary>
    public IReadOnlyList<ToolCallRequest> RequestedToolCalls =>
        _calls is null ? [] : _calls.Where(c => c.Name.Length > 0).Select(c => new ToolCallRequest(c.Id, c.Name.ToString(), c.Arguments.ToString())).ToList();

    /// <summary>Timestamp of the first chunk carrying text, reasoning or a tool call, 0 until then.</summary>
    public long FirstTokenAt { get; private set; }

    /// <summary>Output tokens reported so far by a server that sends running usage (vLLM continuous_usage_stats).</summary>
    public long? RunningOutputTokens { get; set; }

    private int _chunkContent, _chunkReasoning, _chunkToolCalls;

    /// <summary>The number of the event (SSE) or line (NDJSON) being parsed, from 1.</summary>
    public int EventNumber { get; private set; }

    /// <summary>Marks the start of one event's parse, and checks it is UTF-8: what it appends can be taken back.</summary>
    /// <exception cref="HttpInferenceClient.ProtocolViolation">The event's bytes are not valid UTF-8.</exception>
    public void BeginEvent(ReadOnlySpan<byte> data)
    {
        EventNumber++;
        (_chunkContent, _chunkReasoning, _chunkToolCalls) = (_content.WrittenCount, _reasoning.WrittenCount, ToolCalls);
        _callLengths = _calls?.SelectMany(c => new[] { c.Name.Length, c.Arguments.Length }).ToArray();
        if (!System.Text.Unicode.Utf8.IsValid(data))
            throw new HttpInferenceClient.ProtocolViolation($"invalid UTF-8 in chunk {EventNumber}");
    }

    /// <summary>Takes back the text a malformed event appended before its parse failed: it is not part of the answer.</summary>
    public void DropEvent()
    {
        Truncate(_content, _chunkContent);
        Truncate(_reasoning, _chunkReasoning);
        ToolCalls = _chunkToolCalls;
        if (_calls is not null)
        {
            var before = (_callLengths?.Length ?? 0) / 2;
            _calls.RemoveRange(before, _calls.Count - before);
            for (var i = 0; i < before; i++)
            {
                _calls[i].Name.Length = _callLengths![2 * i];
                _calls[i].Arguments.Length = _callLengths[2 * i + 1];
            }
        }
    }

    private static void Truncate(ArrayBufferWriter<byte> buffer, int length)
    {
        if (buffer.WrittenCount <= length) return;
        var kept = buffer.WrittenSpan[..length].ToArray(); // rare (a malformed event): the copy does not matter
        buffer.ResetWrittenCount();
        buffer.Write(kept);
    }

    /// <summary>Unescapes a JSON string token into the content or reasoning buffer; returns the bytes added.</summary>
    public int AppendString(ref Utf8JsonReader reader, bool reasoning)
    {
        if (reader.TokenType != JsonTokenType.String) return 0;
        var target = reasoning ? _reasoning : _content;
        var max = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (max == 0) return 0;
        var written = reader.CopyString(target.GetSpan(max));
        target.Advance(written);
        return written;
    }

    /// <summary>When the read that delivered the bytes being parsed returned (0: stamp at parse time).
    /// A chunk is stamped at receipt, so parsing and buffering inside the client do not count as latency.</summary>
    public long ReceivedAt { get; set; }

    /// <summary>Records a chunk stamped at receipt, classified by what it carried.</summary>
    /// <summary>The answer came whole (a request with <c>stream: false</c>): its text has no timeline, so no chunk is
    /// recorded and the query has no TTFT or inter-token latencies (missing, not guessed).</summary>
    public bool WholeAnswer { get; set; }

    public void AddChunk(int contentBytes, int reasoningBytes, int toolCallBytes, int? tokens)
    {
        if (WholeAnswer) return;
        var now = ReceivedAt != 0 ? ReceivedAt : Stopwatch.GetTimestamp();
        var kind = contentBytes > 0 ? ChunkKind.Content : reasoningBytes > 0 ? ChunkKind.Reasoning
            : toolCallBytes > 0 ? ChunkKind.ToolCall : ChunkKind.Empty;
        if (kind != ChunkKind.Empty && FirstTokenAt == 0) FirstTokenAt = now;
        Chunks.Add(new StreamChunk(now, kind, kind == ChunkKind.Empty ? null : tokens));
    }

    public string Content => Encoding.UTF8.GetString(_content.WrittenSpan);
    public string? Reasoning => _reasoning.WrittenCount == 0 ? null : Encoding.UTF8.GetString(_reasoning.WrittenSpan);

    public void Reset()
    {
        _content.Clear();
        _reasoning.Clear();
        Chunks.Clear();
        EventNumber = _chunkContent = _chunkReasoning = _chunkToolCalls = 0;
        InputTokens = OutputTokens = CachedInputTokens = RunningOutputTokens = ReasoningTokens = null;
        SystemFingerprint = null;
        ToolCalls = 0;
        _calls = null;
        _callLengths = null;
        Timings.Clear();
        FinishReason = null;
        Error = null;
        Completed = false;
        FirstTokenAt = 0;
        ReceivedAt = 0;
        UsageSource = "server-usage";
    }

    public InferenceResult ToResult(long sentAt, long completedAt, int attempts)
    {
        var usage = InputTokens is null && OutputTokens is null ? null
            : new TokenUsage(InputTokens, OutputTokens, UsageSource) { CachedInputTokens = CachedInputTokens, ReasoningTokens = ReasoningTokens };
        return new InferenceResult(sentAt, completedAt, Chunks, Content, Reasoning, usage,
            new Dictionary<string, double>(Timings), FinishReason, Error)
        { Attempts = attempts, ToolCalls = ToolCalls, RequestedToolCalls = RequestedToolCalls };
    }
}
