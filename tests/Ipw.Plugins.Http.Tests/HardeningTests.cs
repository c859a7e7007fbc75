using System.Text;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http.Tests;

/// <summary>Bytes no server should send, and credentials no file should keep.</summary>
public sealed class HardeningTests
{
    [Fact]
    public void Invalid_utf8_in_a_chunk_is_a_protocol_fault_naming_the_chunk_and_adds_no_text()
    {
        var state = new StreamState();
        OpenAiChunkParser.Parse(Encoding.UTF8.GetBytes("""{"choices":[{"delta":{"content":"Hello"}}]}"""), state);
        var bad = Encoding.UTF8.GetBytes("""{"choices":[{"delta":{"content":"X"}}]}""");
        bad[Array.IndexOf(bad, (byte)'X')] = 0xC3; // a lead byte with no continuation
        var e = Assert.Throws<HttpInferenceClient.ProtocolViolation>(() => OpenAiChunkParser.Parse(bad, state));
        Assert.Equal("invalid UTF-8 in chunk 2", e.Message);
        Assert.Equal("Hello", state.Content);

        var ndjson = new StreamState();
        var line = Encoding.UTF8.GetBytes("""{"message":{"content":"ok"},"done":false}""");
        line[^3] = 0xFF;
        Assert.Equal("invalid UTF-8 in chunk 1", Assert.Throws<HttpInferenceClient.ProtocolViolation>(() => OllamaChunkParser.Parse(line, ndjson)).Message);
    }

    [Fact]
    public void A_malformed_chunks_text_is_taken_back()
    {
        var state = new StreamState();
        OpenAiChunkParser.Parse(Encoding.UTF8.GetBytes("""{"choices":[{"delta":{"content":"Paris","reasoning_content":"hmm"}}]}"""), state);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() =>
            OpenAiChunkParser.Parse(Encoding.UTF8.GetBytes("""{"choices":[{"delta":{"content":" is","reasoning_content":" so"}}],"""), state));
        state.DropEvent();
        Assert.Equal("Paris", state.Content);
        Assert.Equal("hmm", state.Reasoning);
    }

    // Found by ParserMutationTests, kept as regressions.
    [Fact]
    public void A_count_sent_as_a_string_reads_as_missing_not_as_a_crash()
    {
        var state = new StreamState();
        OpenAiChunkParser.Parse(Encoding.UTF8.GetBytes("""{"choices":[],"usage":{"prompt_tokens":"12","completion_tokens":{"n":3}}}"""), state);
        Assert.Null(state.InputTokens);
        Assert.Null(state.OutputTokens);
        var ollama = new StreamState();
        OllamaChunkParser.Parse(Encoding.UTF8.GetBytes("""{"done":true,"prompt_eval_count":"7","eval_count":5,"eval_duration":"x"}"""), ollama);
        Assert.Null(ollama.InputTokens);
        Assert.Equal(5, ollama.OutputTokens);
    }

    [Fact]
    public void An_escape_that_is_no_character_is_a_malformed_chunk()
    {
        var state = new StreamState();
        var e = Assert.Throws<HttpInferenceClient.ProtocolViolation>(() =>
            OpenAiChunkParser.Parse("error"u8, Encoding.UTF8.GetBytes("""{"message":"bad \ud800 half"}"""), state));
        Assert.StartsWith("malformed chunk 1: ", e.Message);
    }

    [Fact]
    public void An_unterminated_bucket_label_is_not_a_bucket() =>
        Assert.NotNull(ServerMetrics.Parse("# TYPE vllm:e2e_request_latency_seconds histogram\nvllm:e2e_request_latency_seconds_bucket{le=\"0.5} 3\n"));

    [Theory]
    [InlineData("http://alice:s3cret@gpu-node:8000/v1", "alice:s3cret")]
    [InlineData("https://alice:p%40ss@gpu-node/v1/", "alice:p@ss")]
    [InlineData("bob@gpu-node:8000", "bob")]
    public void Credentials_in_a_base_url_leave_the_address_and_become_its_authorization(string given, string userInfo)
    {
        var address = ServiceAddress.Resolve("openai", given, "OPENAI_BASE_URL", null, "v1", _ => null);
        Assert.Equal(userInfo, address.UserInfo);
        Assert.DoesNotContain("@", address.Root.ToString());
        Assert.DoesNotContain("@", address.ToString());
        Assert.StartsWith("http", address.Root.ToString());
        Assert.Contains("gpu-node", address.Root.ToString());
    }

    [Theory]
    [InlineData("http://alice:s3cret@gpu-node:8000/v1", "http://gpu-node:8000/v1")]
    [InlineData("alice:s3cret@gpu-node:8000", "gpu-node:8000")]
    [InlineData("http://gpu-node:8000/v1?key=a@b", "http://gpu-node:8000/v1?key=a@b")]
    [InlineData("http://gpu-node:8000", "http://gpu-node:8000")]
    public void Url_text_loses_only_its_user_info(string url, string written) => Assert.Equal(written, UrlText.WithoutUserInfo(url));
}
