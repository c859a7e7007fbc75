using System.Diagnostics;
using Ipw.Abstractions;

namespace IpwPlugin1;

/// <summary>Streams the prompt's words back as the answer: replace the body of <see cref="SendAsync"/> with a call to
/// your engine or service. Stamp each chunk when it arrives (Stopwatch.GetTimestamp): ipw computes TTFT, ITL and TPOT
/// from the stamps, so stamp as close to the wire as you can, and report faults in the result, never as exceptions.</summary>
internal sealed class EchoClient : IInferenceClient
{
    private readonly ClientOptions _options;

    public EchoClient(ClientOptions options)
    {
        options.RequireKnown(["delay_ms"]); // an unknown --client-param is an error, never ignored
        _options = options;
    }

    public Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new ClientInfo(_options.Model ?? "echo", new Dictionary<string, string> { ["engine"] = "echo" }));

    public async Task<InferenceResult> SendAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        var sent = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(_options.GetDouble("delay_ms", 1));
        var words = request.Messages[^1].Content.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(request.Parameters.MaxTokens).ToList();
        var chunks = new List<StreamChunk>(words.Count);
        try
        {
            foreach (var _ in words)
            {
                await Task.Delay(delay, cancellationToken);
                chunks.Add(new StreamChunk(Stopwatch.GetTimestamp(), ChunkKind.Content, 1));
            }
        }
        catch (OperationCanceledException)
        {
            return new InferenceResult(sent, Stopwatch.GetTimestamp(), chunks, string.Join(' ', words.Take(chunks.Count)), null, null,
                new Dictionary<string, double>(), null, new ClientError(ErrorClass.Cancelled, "cancelled"));
        }
        var usage = new TokenUsage(request.Messages.Sum(m => m.Content.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length), words.Count, "engine");
        return new InferenceResult(sent, Stopwatch.GetTimestamp(), chunks, string.Join(' ', words), null, usage, new Dictionary<string, double>(),
            words.Count < request.Parameters.MaxTokens ? "stop" : "length", null);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
