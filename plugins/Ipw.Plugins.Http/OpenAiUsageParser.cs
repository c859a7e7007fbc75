using System.Text.Json;

namespace Ipw.Plugins.Http;

/// <summary>The counting parts of an OpenAI-style chunk: <c>usage</c> (with its cached and reasoning token details) and
/// llama.cpp's <c>timings</c>.</summary>
internal static class OpenAiUsageParser
{
    public static long? ParseUsage(ref Utf8JsonReader reader, StreamState state)
    {
        long? completion = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8)) { reader.Read(); if (JsonNumber.Int64(ref reader) is { } v) state.InputTokens = v; }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                reader.Read();
                if (JsonNumber.Int64(ref reader) is { } v) { state.OutputTokens = v; completion = v; }
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
            else if (reader.ValueTextEquals("completion_tokens_details"u8))
            {
                // OpenAI: {"reasoning_tokens": N, ...}; may be null.
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var named = reader.ValueTextEquals("reasoning_tokens"u8);
                    reader.Read();
                    if (named && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var r)) state.ReasoningTokens = r;
                    else reader.Skip();
                }
            }
            else { reader.Read(); reader.Skip(); }
        }
        return completion;
    }

    public static void ParseTimings(ref Utf8JsonReader reader, StreamState state)
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
}
