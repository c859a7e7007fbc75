using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>
/// Parses one line of Ollama's NDJSON stream (<c>/api/chat</c> or <c>/api/generate</c>): content and
/// thinking text, and on the final line (<c>done: true</c>) the counts and server timings (nanoseconds).
/// </summary>
internal static class OllamaChunkParser
{
    public static void Parse(ReadOnlySpan<byte> line, StreamState state)
    {
        state.BeginEvent(line);
        try
        {
            ParseLine(line, state);
        }
        catch (InvalidOperationException e)
        {
            throw OpenAiChunkParser.Malformed(state, e);
        }
    }

    private static void ParseLine(ReadOnlySpan<byte> line, StreamState state)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new HttpInferenceClient.ProtocolViolation($"stream line is not a JSON object: '{OpenAiChunkParser.Preview(line)}'");
        int content = 0, reasoning = 0, tools = 0;
        var done = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("content"u8)) { reader.Read(); content += state.AppendString(ref reader, false); }
                    else if (reader.ValueTextEquals("thinking"u8)) { reader.Read(); reasoning += state.AppendString(ref reader, true); }
                    else if (reader.ValueTextEquals("tool_calls"u8)) tools += ToolCalls(ref reader, line, state);
                    else { reader.Read(); reader.Skip(); }
                }
            }
            else if (reader.ValueTextEquals("response"u8)) { reader.Read(); content += state.AppendString(ref reader, false); }
            else if (reader.ValueTextEquals("thinking"u8)) { reader.Read(); reasoning += state.AppendString(ref reader, true); }
            else if (reader.ValueTextEquals("done"u8)) { reader.Read(); done = reader.TokenType == JsonTokenType.True; }
            else if (reader.ValueTextEquals("done_reason"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String) state.FinishReason = reader.ValueTextEquals("stop"u8) ? "stop" : reader.ValueTextEquals("length"u8) ? "length" : reader.GetString();
            }
            else if (reader.ValueTextEquals("prompt_eval_count"u8)) { reader.Read(); if (JsonNumber.Int64(ref reader) is { } v) state.InputTokens = v; }
            else if (reader.ValueTextEquals("eval_count"u8)) { reader.Read(); if (JsonNumber.Int64(ref reader) is { } v) state.OutputTokens = v; }
            else if (reader.ValueTextEquals("total_duration"u8)) Nanoseconds(ref reader, state, "total");
            else if (reader.ValueTextEquals("load_duration"u8)) Nanoseconds(ref reader, state, "load");
            else if (reader.ValueTextEquals("prompt_eval_duration"u8)) Nanoseconds(ref reader, state, "prompt_eval");
            else if (reader.ValueTextEquals("eval_duration"u8)) Nanoseconds(ref reader, state, "eval");
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                state.Error = new ClientError(ErrorClass.Server, "error in stream: " + StreamErrorText.ErrorMessage(ref reader));
                state.Completed = true;
                return;
            }
            else { reader.Read(); reader.Skip(); }
        }
        if (done)
        {
            state.Completed = true;
            // The final line usually carries no text; when it does, it is still a chunk of the answer.
            if (content + reasoning + tools > 0) state.AddChunk(content, reasoning, tools, null);
            return;
        }
        state.AddChunk(content, reasoning, tools, null);
    }

    /// <summary>Ollama sends each tool call whole: <c>"tool_calls": [{"id"?, "function": {"index"?, "name", "arguments":
    /// {...}}}, ...]</c>, its arguments a JSON object (kept as its JSON text, the OpenAI shape). Versions before call ids
    /// send neither <c>id</c> nor <c>index</c> (or omit an index of 0): a call without one takes the next number after the
    /// calls seen. Returns the bytes the calls span, so the chunk counts as generated output.</summary>
    private static int ToolCalls(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, StreamState state)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 0;
        }
        var start = reader.TokenStartIndex;
        var seen = state.ToolCalls;
        var position = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
            ToolCallEntry.Read(ref reader, line, seen + position++, state);
        }
        return position == 0 ? 0 : (int)(reader.TokenStartIndex - start);
    }

    private static void Nanoseconds(ref Utf8JsonReader reader, StreamState state, string key)
    {
        reader.Read();
        if (JsonNumber.Int64(ref reader) is { } ns) state.Timings[key] = ns / 1e9;
    }
}
