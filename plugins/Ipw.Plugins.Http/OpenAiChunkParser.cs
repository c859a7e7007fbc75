using System.Text.Json;

namespace Ipw.Plugins.Http;

/// <summary>
/// Parses one OpenAI-style stream event (<c>data: {...}</c>) into a <see cref="StreamState"/> with
/// <see cref="Utf8JsonReader"/>: no DOM, no strings allocated per chunk. Understands chat deltas
/// (content, reasoning_content, reasoning, tool_calls), completion text, finish_reason, usage (also vLLM's running
/// usage and the cached / reasoning token details), llama.cpp's timings, system_fingerprint, and the error shapes
/// servers send mid-stream: <c>{"error": ...}</c>, a flat <c>{"object": "error", ...}</c>, and <c>event: error</c>.
/// </summary>
internal static class OpenAiChunkParser
{
    /// <summary>Parses one event: <paramref name="eventType"/> is empty for plain <c>data:</c> events, <c>error</c> for
    /// <c>event: error</c> and llama.cpp's old <c>error:</c> line.</summary>
    public static void Parse(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data, StreamState state)
    {
        state.BeginEvent(data);
        try
        {
            if (eventType.SequenceEqual("error"u8)) Fail(state, StreamErrorText.ErrorEventMessage(data));
            else ParseEvent(data, state);
        }
        catch (InvalidOperationException e)
        {
            throw Malformed(state, e);
        }
    }

    public static void Parse(ReadOnlySpan<byte> data, StreamState state) => Parse(default, data, state);

    /// <summary>A value of the wrong kind where the reader was asked for another (a string for a number, an escape that
    /// is no character): the event is malformed, as a JSON error is.</summary>
    internal static HttpInferenceClient.ProtocolViolation Malformed(StreamState state, InvalidOperationException e) =>
        new($"malformed chunk {state.EventNumber}: {e.Message}");

    private static void ParseEvent(ReadOnlySpan<byte> data, StreamState state)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            state.Completed = true;
            return;
        }
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new HttpInferenceClient.ProtocolViolation($"stream event is not a JSON object: '{Preview(data)}'");

        var delta = new Delta();
        long? completionTokens = null;
        // A flat error chunk (vLLM's older ErrorResponse, SGLang): {"object": "error", "message": ...}.
        bool isError = false;
        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray) { reader.Skip(); continue; }
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (first && reader.TokenType == JsonTokenType.StartObject) ParseChoice(ref reader, data, state, ref delta);
                    else reader.Skip();
                    first = false;
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject) completionTokens = OpenAiUsageParser.ParseUsage(ref reader, state);
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("timings"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject) OpenAiUsageParser.ParseTimings(ref reader, state);
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) continue;
                Fail(state, StreamErrorText.ErrorMessage(ref reader));
                return;
            }
            else if (reader.ValueTextEquals("object"u8))
            {
                reader.Read();
                isError = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("error"u8);
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String) message = reader.GetString();
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("system_fingerprint"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && state.SystemFingerprint is null) state.SystemFingerprint = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (isError)
        {
            Fail(state, message ?? "(no message)");
            return;
        }

        int? tokens = null;
        if (completionTokens is { } now)
        {
            // Running usage (vLLM continuous_usage_stats): the tokens this chunk carried, exactly.
            if (delta.Any) tokens = (int)(now - (state.RunningOutputTokens ?? 0));
            state.RunningOutputTokens = now;
        }
        state.AddChunk(delta.Content, delta.Reasoning, delta.ToolCall, tokens);
    }

    private static void Fail(StreamState state, string message)
    {
        state.Error = new Ipw.Abstractions.ClientError(Ipw.Abstractions.ErrorClass.Server, "error in stream: " + message);
        state.Completed = true;
    }

    /// <summary>What one chunk's first choice carried, in bytes by kind.</summary>
    private struct Delta
    {
        public int Content, Reasoning, ToolCall;
        public readonly bool Any => Content + Reasoning + ToolCall > 0;
    }

    private static void ParseChoice(ref Utf8JsonReader reader, ReadOnlySpan<byte> data, StreamState state, ref Delta delta)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // A stream's choice carries a delta; a whole answer's (stream: false) its message, of the same shape.
            if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                // vLLM sent the same reasoning under both names while renaming the field: the first one counts.
                var reasoningSeen = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("content"u8)) { reader.Read(); delta.Content += state.AppendString(ref reader, reasoning: false); }
                    else if (reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8))
                    {
                        reader.Read();
                        if (reasoningSeen || reader.TokenType != JsonTokenType.String) { reader.Skip(); continue; }
                        reasoningSeen = true;
                        delta.Reasoning += state.AppendString(ref reader, reasoning: true);
                    }
                    else if (reader.ValueTextEquals("tool_calls"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.StartArray) delta.ToolCall += ParseToolCalls(ref reader, data, state);
                        else reader.Skip();
                    }
                    else { reader.Read(); reader.Skip(); }
                }
            }
            else if (reader.ValueTextEquals("text"u8)) { reader.Read(); delta.Content += state.AppendString(ref reader, reasoning: false); }
            else if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String) state.FinishReason = FinishReason(ref reader);
            }
            else { reader.Read(); reader.Skip(); }
        }
    }

    /// <summary>Reads a <c>tool_calls</c> delta array: each entry's <c>index</c> names a call (0 when absent, as a whole
    /// answer's calls come in order), its <c>id</c> and its function's <c>name</c> come once, its <c>arguments</c> in pieces;
    /// all of it is generated text. Returns the bytes of text it carried.</summary>
    private static int ParseToolCalls(ref Utf8JsonReader reader, ReadOnlySpan<byte> data, StreamState state)
    {
        var bytes = 0;
        var position = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject) bytes += ToolCallEntry.Read(ref reader, data, position++, state);
        return bytes;
    }

    // The few finish reasons servers send, as interned strings: no allocation per stream.
    private static string FinishReason(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("stop"u8) ? "stop" : reader.ValueTextEquals("length"u8) ? "length" : reader.GetString()!;

    internal static string Preview(ReadOnlySpan<byte> data) =>
        System.Text.Encoding.UTF8.GetString(data[..Math.Min(data.Length, 80)]);
}
