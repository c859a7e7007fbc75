using System.Text.Json;

namespace Ipw.Plugins.Http;

/// <summary>
/// Parses one OpenAI-style stream event (<c>data: {...}</c>) into a <see cref="StreamState"/> with
/// <see cref="Utf8JsonReader"/>: no DOM, no strings allocated per chunk. Understands chat deltas
/// (content, reasoning_content, reasoning), completion text, finish_reason, usage (also vLLM's running
/// usage), llama.cpp's timings, and an error object sent mid-stream.
/// </summary>
internal static class OpenAiChunkParser
{
    public static void Parse(ReadOnlySpan<byte> data, StreamState state)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            state.Completed = true;
            return;
        }
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new HttpInferenceClient.ProtocolViolation($"stream event is not a JSON object: '{Preview(data)}'");

        int content = 0, reasoning = 0;
        long? completionTokens = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray) { reader.Skip(); continue; }
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (first && reader.TokenType == JsonTokenType.StartObject) ParseChoice(ref reader, state, ref content, ref reasoning);
                    else reader.Skip();
                    first = false;
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject) completionTokens = ParseUsage(ref reader, state);
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("timings"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject) ParseTimings(ref reader, state);
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                state.Error = new Ipw.Abstractions.ClientError(Ipw.Abstractions.ErrorClass.Server, "error in stream: " + ErrorMessage(ref reader));
                state.Completed = true;
                return;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        int? tokens = null;
        if (completionTokens is { } now)
        {
            // Running usage (vLLM continuous_usage_stats): the tokens this chunk carried, exactly.
            if (content + reasoning > 0) tokens = (int)(now - (state.RunningOutputTokens ?? 0));
            state.RunningOutputTokens = now;
        }
        state.AddChunk(content, reasoning, tokens);
    }

    private static void ParseChoice(ref Utf8JsonReader reader, StreamState state, ref int content, ref int reasoning)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("delta"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("content"u8)) { reader.Read(); content += state.AppendString(ref reader, reasoning: false); }
                    else if (reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8))
                    {
                        reader.Read();
                        reasoning += state.AppendString(ref reader, reasoning: true);
                    }
                    else { reader.Read(); reader.Skip(); }
                }
            }
            else if (reader.ValueTextEquals("text"u8)) { reader.Read(); content += state.AppendString(ref reader, reasoning: false); }
            else if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String) state.FinishReason = FinishReason(ref reader);
            }
            else { reader.Read(); reader.Skip(); }
        }
    }

    private static long? ParseUsage(ref Utf8JsonReader reader, StreamState state)
    {
        long? completion = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8)) { reader.Read(); if (reader.TryGetInt64(out var v)) state.InputTokens = v; }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                reader.Read();
                if (reader.TryGetInt64(out var v)) { state.OutputTokens = v; completion = v; }
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                // OpenAI, vLLM (--enable-prompt-tokens-details) and llama.cpp: {"cached_tokens": N}; may be null.
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var cached = reader.ValueTextEquals("cached_tokens"u8);
                    reader.Read();
                    if (cached && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var c)) state.CachedInputTokens = c;
                    else reader.Skip();
                }
            }
            else { reader.Read(); reader.Skip(); }
        }
        return completion;
    }

    private static void ParseTimings(ref Utf8JsonReader reader, StreamState state)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string? key = reader.ValueTextEquals("prompt_ms"u8) ? "prompt_eval"
                : reader.ValueTextEquals("predicted_ms"u8) ? "eval"
                : reader.ValueTextEquals("prompt_n"u8) ? "prompt_n"
                : reader.ValueTextEquals("predicted_n"u8) ? "predicted_n"
                : reader.ValueTextEquals("cache_n"u8) ? "cache_n" : null;
            reader.Read();
            if (key is null || reader.TokenType != JsonTokenType.Number) { reader.Skip(); continue; }
            var value = reader.GetDouble();
            state.Timings[key] = key is "prompt_eval" or "eval" ? value / 1000.0 : value;
        }
    }

    // The few finish reasons servers send, as interned strings: no allocation per stream.
    private static string FinishReason(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("stop"u8) ? "stop" : reader.ValueTextEquals("length"u8) ? "length" : reader.GetString()!;

    internal static string ErrorMessage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString()!;
        if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); return "(no message)"; }
        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8)) { reader.Read(); message = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
            else { reader.Read(); reader.Skip(); }
        }
        return message ?? "(no message)";
    }

    internal static string Preview(ReadOnlySpan<byte> data) =>
        System.Text.Encoding.UTF8.GetString(data[..Math.Min(data.Length, 80)]);
}
