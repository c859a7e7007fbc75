namespace Ipw.Plugins.Http;

/// <summary>
/// Token counts from llama.cpp's <c>timings</c> object (its last chunk): <c>prompt_n</c> is the prompt tokens it
/// evaluated, <c>cache_n</c> those it took from its cache, <c>predicted_n</c> the generated tokens. The prompt is
/// both: input = prompt_n + cache_n, of which cache_n were cached.
/// </summary>
internal static class LlamaCppTimings
{
    public static void ApplyCounts(StreamState state)
    {
        var t = state.Timings;
        var cache = t.TryGetValue("cache_n", out var c) ? (long)c : (long?)null;
        if (t.TryGetValue("prompt_n", out var p))
        {
            var prompt = (long)p + (cache ?? 0);
            if (state.InputTokens is null)
            {
                state.InputTokens = prompt;
                state.UsageSource = "server-timings";
            }
            // Versions whose usage counted only the evaluated part: the cached part is prompt too.
            else if (cache > 0 && state.InputTokens == (long)p) state.InputTokens = prompt;
        }
        if (state.OutputTokens is null && t.TryGetValue("predicted_n", out var predicted))
        {
            state.OutputTokens = (long)predicted;
            state.UsageSource = "server-timings";
        }
        if (state.CachedInputTokens is null && cache is { } cached) state.CachedInputTokens = cached;
        t.Remove("cache_n");
        t.Remove("prompt_n");
        t.Remove("predicted_n");
    }
}
