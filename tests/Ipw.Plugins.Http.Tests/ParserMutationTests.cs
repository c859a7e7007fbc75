using System.Text;
using System.Text.Json;
using CsCheck;
using Ipw.Tests;
using Ipw.TestServer;

namespace Ipw.Plugins.Http.Tests;

/// <summary>
/// The stream parsers fed what no server should send: every golden transcript's streamed bytes (the corpus, kept in
/// tests/fixtures/wire), mutated at random (bytes flipped, line breaks, quotes and braces inserted, invalid UTF-8, cuts,
/// repeated slices) and shrunk to the smallest failing input by CsCheck. A parser may only reject its input the ways the
/// client turns into a `protocol` fault (a JSON error or a protocol violation); anything else, and any text longer than
/// the input, is a defect. Mutation-based, not coverage-guided.
/// </summary>
public sealed class ParserMutationTests
{
    private static readonly byte[] Specials = [(byte)'\r', (byte)'\n', (byte)':', (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']',
        (byte)'\\', (byte)',', 0, 0xC3, 0xFF, 0xE2, 0x80];

    private static byte[][] Corpus(Func<Transcript, bool> which) => Transcript.All().Where(which)
        .SelectMany(t => t.Exchanges.Where(e => e.Chunks is { Count: > 0 }))
        .Select(e => Encoding.UTF8.GetBytes(string.Concat(e.Chunks!.Select(c => c.Bytes)))).ToArray();

    private static Gen<byte[]> Mutated(byte[][] corpus) => Mutations.Of(corpus, Specials);

    private static void Rejected(Exception e)
    {
        Assert.True(e is JsonException or HttpInferenceClient.ProtocolViolation, $"{e.GetType().Name}: {e.Message}");
    }

    [Fact]
    public void Sse_and_openai_chunks_reject_mutated_streams_only_as_protocol_faults() =>
        Mutated(Corpus(t => t.Client != "ollama")).Sample(bytes =>
        {
            var state = new StreamState();
            try
            {
                OpenAiClient.ReadSseAsync(new MemoryStream(bytes), state, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Rejected(e);
            }
            Assert.True(Encoding.UTF8.GetByteCount(state.Content) + Encoding.UTF8.GetByteCount(state.Reasoning ?? "") <= bytes.Length);
        }, iter: 20_000);

    [Fact]
    public void Ndjson_and_ollama_lines_reject_mutated_streams_only_as_protocol_faults() =>
        Mutated(Corpus(t => t.Client == "ollama")).Sample(bytes =>
        {
            var state = new StreamState();
            try
            {
                NdjsonReader.ReadAsync(new MemoryStream(bytes), line => OllamaChunkParser.Parse(line, state), () => state.Completed, CancellationToken.None)
                    .GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Rejected(e);
            }
            Assert.True(Encoding.UTF8.GetByteCount(state.Content) <= bytes.Length);
        }, iter: 20_000);

    [Fact]
    public void Prometheus_text_from_vllm_never_throws_when_mutated() =>
        Mutated([.. Transcript.All().SelectMany(t => t.Exchanges).Where(e => e.Path == "/metrics" && e.Body is not null)
            .Select(e => Encoding.UTF8.GetBytes(e.Body!))]).Sample(bytes =>
        {
            _ = ServerMetrics.Parse(Encoding.UTF8.GetString(bytes));
        }, iter: 10_000);
}
