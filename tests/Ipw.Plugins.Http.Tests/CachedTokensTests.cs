using System.Text;

namespace Ipw.Plugins.Http.Tests;

/// <summary>Prompt tokens served from a prefix cache, as real servers put them on the wire: the final usage chunk's
/// <c>prompt_tokens_details.cached_tokens</c> (OpenAI, vLLM with --enable-prompt-tokens-details, llama.cpp's server) and
/// llama.cpp's <c>timings.cache_n</c>.</summary>
public sealed class CachedTokensTests
{
    private static StreamState Parse(params string[] events)
    {
        var state = new StreamState();
        foreach (var e in events) OpenAiChunkParser.Parse(Encoding.UTF8.GetBytes(e), state);
        return state;
    }

    [Fact]
    public void Vllm_usage_with_prompt_tokens_details_gives_the_cached_count()
    {
        var s = Parse(
            """{"id":"chatcmpl-9f2","object":"chat.completion.chunk","created":1733300000,"model":"m","choices":[{"index":0,"delta":{"content":"7"},"logprobs":null,"finish_reason":"length"}]}""",
            """{"id":"chatcmpl-9f2","object":"chat.completion.chunk","created":1733300000,"model":"m","choices":[],"usage":{"prompt_tokens":59,"total_tokens":75,"completion_tokens":16,"prompt_tokens_details":{"cached_tokens":48}}}""",
            "[DONE]");
        Assert.Equal(59, s.InputTokens);
        Assert.Equal(16, s.OutputTokens);
        Assert.Equal(48, s.CachedInputTokens);
        Assert.Equal(48, s.ToResult(0, 1, 1).Usage!.CachedInputTokens);
    }

    [Fact]
    public void Llama_cpp_final_chunk_carries_cached_tokens_and_cache_n()
    {
        var s = Parse(
            """{"choices":[{"finish_reason":"length","index":0,"delta":{}}],"created":1733300000,"id":"chatcmpl-x","model":"ipw-tiny","system_fingerprint":"b11669-Debian","object":"chat.completion.chunk","usage":{"completion_tokens":16,"prompt_tokens":59,"total_tokens":75,"prompt_tokens_details":{"cached_tokens":58}},"timings":{"cache_n":58,"prompt_n":1,"prompt_ms":3.1,"prompt_per_token_ms":3.1,"prompt_per_second":322.6,"predicted_n":16,"predicted_ms":40.2,"predicted_per_token_ms":2.5,"predicted_per_second":398.0}}""",
            "[DONE]");
        Assert.Equal(58, s.CachedInputTokens);
        Assert.Equal(58, s.Timings["cache_n"]);
    }

    [Theory]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}""")]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":null}}""")]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"audio_tokens":0}}}""")]
    public void A_server_that_does_not_say_leaves_it_unknown_not_zero(string usage)
    {
        var s = Parse(usage, "[DONE]");
        Assert.Equal(12, s.InputTokens);
        Assert.Null(s.CachedInputTokens);
        Assert.Null(s.ToResult(0, 1, 1).Usage!.CachedInputTokens);
    }
}
