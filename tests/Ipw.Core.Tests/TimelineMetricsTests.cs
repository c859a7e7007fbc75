using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Profiling;

namespace Ipw.Core.Tests;

public sealed class TimelineMetricsTests
{
    private static readonly long F = Stopwatch.Frequency;

    private static InferenceResult Result(long sent, long done, long? outputTokens, params StreamChunk[] chunks) =>
        new(sent, done, chunks, "x", null, new TokenUsage(5, outputTokens, "server-usage"), new Dictionary<string, double>(), "stop", null);

    [Fact]
    public void Ttft_ignores_role_only_and_empty_chunks()
    {
        var r = Result(0, 3 * F, 2,
            new StreamChunk(F / 10, ChunkKind.Empty, null),
            new StreamChunk(F, ChunkKind.Content, 1),
            new StreamChunk(2 * F, ChunkKind.Content, 1));
        var m = TimelineMetrics.From(r);
        Assert.Equal(1.0, m.TtftS!.Value, 9);
        Assert.Equal(3.0, m.E2eS, 9);
    }

    [Fact]
    public void Reasoning_chunks_count_as_the_first_token()
    {
        var r = Result(0, 2 * F, 2, new StreamChunk(F / 2, ChunkKind.Reasoning, 1), new StreamChunk(F, ChunkKind.Content, 1));
        Assert.Equal(0.5, TimelineMetrics.From(r).TtftS!.Value, 9);
    }

    [Fact]
    public void Inter_token_latency_is_per_token_when_a_chunk_carries_several()
    {
        // First token at 1 s, then one chunk of 4 tokens at 3 s: four gaps of 0.5 s, not one of 2 s.
        var r = Result(0, 3 * F, 5, new StreamChunk(F, ChunkKind.Content, 1), new StreamChunk(3 * F, ChunkKind.Content, 4));
        var m = TimelineMetrics.From(r);
        Assert.Equal(0.5, m.ItlP50S!.Value, 9);
        Assert.Equal(0.5, m.ItlP99S!.Value, 9);
        Assert.Equal(0.5, m.TpotS!.Value, 9);
        Assert.Equal(2.0, m.DecodeTokensPerS!.Value, 9);
        // The gaps themselves, for the run's pool: one per token.
        Assert.Equal([0.5, 0.5, 0.5, 0.5], m.TokenGapsS.Select(g => Math.Round(g, 9)));
    }

    [Fact]
    public void A_stream_without_generated_text_has_no_ttft_rather_than_zero()
    {
        var m = TimelineMetrics.From(Result(0, F, 0, new StreamChunk(F / 2, ChunkKind.Empty, null)));
        Assert.Null(m.TtftS);
        Assert.Null(m.TpotS);
        Assert.Null(m.DecodeTokensPerS);
    }

    [Fact]
    public void Chunks_of_unknown_size_share_the_servers_output_count_instead_of_counting_as_one_token_each()
    {
        // 3 text chunks 1 s apart but the server says 7 tokens: first chunk 1 token... unknown sizes
        // spread 7 over 3 chunks, so each later gap of 1 s covers 7/3 tokens.
        var r = Result(0, 3 * F, 7,
            new StreamChunk(F, ChunkKind.Content, null),
            new StreamChunk(2 * F, ChunkKind.Content, null),
            new StreamChunk(3 * F, ChunkKind.Content, null));
        var m = TimelineMetrics.From(r);
        Assert.Equal(3.0 / 7.0, m.ItlP50S!.Value, 9);
        Assert.Equal(2.0 / 6.0, m.TpotS!.Value, 9); // decode time over the 6 tokens after the first
    }
}
