using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ipw.Abstractions;

namespace Ipw.Core.Workers;

/// <summary>
/// One message of the coordinator–worker protocol: a JSON object on one line over a TCP connection, snake_case keys,
/// <c>type</c> saying which fields it carries. The coordinator owns the schedule, the telemetry and the run folder;
/// a worker owns one client and sends what it is given when it is due.
/// <list type="bullet">
/// <item>worker → coordinator: <c>hello</c> (worker, version, frequency), <c>pong</c> (clock), <c>ready</c> or
/// <c>fail</c> (error), then per query <c>sent</c> (index, at) and <c>done</c> (index, outcome) or <c>dropped</c>
/// (index), and at the end <c>bye</c> (totals).</item>
/// <item>coordinator → worker: <c>ping</c> (clock) when the clocks differ, <c>setup</c>, then <c>order</c> (a query
/// and when it is due), <c>stop</c> (send nothing more: orders not yet due are dropped), <c>abort</c> (cancel what is
/// in flight), <c>finish</c> (no more orders: say <c>bye</c> once every order is done).</item>
/// </list>
/// Stamps are the sender's monotonic clock (<see cref="System.Diagnostics.Stopwatch"/> ticks); the coordinator maps a
/// worker's onto its own (<see cref="WorkerClock"/>).
/// </summary>
internal sealed record WorkerMessage(string Type)
{
    public const int ProtocolVersion = 1;

    public int? Worker { get; init; }
    public int? Version { get; init; }
    public long? Frequency { get; init; }
    public long? Clock { get; init; }
    public WorkerSetup? Setup { get; init; }
    public QueryOrder? Order { get; init; }
    public int? Index { get; init; }
    public long? At { get; init; }
    public QueryOutcome? Outcome { get; init; }
    public WorkerTotals? Totals { get; init; }
    public string? Error { get; init; }
}

/// <summary>What a worker needs to make the run's client, and the warm-up it sends before it says ready (its own
/// connections and code warmed as the coordinator's are; due times unused).</summary>
internal sealed record WorkerSetup(string Client, string? Model, string? BaseUrl, Dictionary<string, string> Settings, double? WaitReadyS,
    List<QueryOrder> Warmup);

/// <summary>One query to send at <paramref name="Due"/> (the worker's clock).</summary>
internal sealed record QueryOrder(int Index, long Due, string Id, List<ChatMessage> Messages, int MaxTokens, double Temperature, int? Seed)
{
    public static QueryOrder Of(int index, long due, InferenceRequest r) =>
        new(index, due, r.Id, [.. r.Messages], r.Parameters.MaxTokens, r.Parameters.Temperature, r.Parameters.Seed);

    public InferenceRequest ToRequest() => new(Id, Messages, new GenerationParameters(MaxTokens, Temperature, Seed));
}

/// <summary>A client's <see cref="InferenceResult"/> on the wire, its stamps on the worker's clock; <paramref name="End"/>
/// is when the client returned. Chunks are three parallel arrays (stamp, kind, tokens; -1 for no count).</summary>
internal sealed record QueryOutcome(long SentAt, long CompletedAt, long End, long[] ChunkAt, byte[] ChunkKind, int[] ChunkTokens,
    string Text, string? Reasoning, long? InputTokens, long? OutputTokens, string? UsageSource, long? CachedInputTokens, long? ReasoningTokens,
    Dictionary<string, double>? ServerTimings, string? FinishReason, ErrorClass? ErrorClass, string? ErrorMessage, double? RetryAfterS,
    int Attempts, double RetryWaitS, int? ToolCalls, bool Reconnected = false)
{
    public static QueryOutcome From(InferenceResult r, long end)
    {
        var n = r.Chunks.Count;
        var at = new long[n];
        var kind = new byte[n];
        var tokens = new int[n];
        for (var i = 0; i < n; i++)
        {
            at[i] = r.Chunks[i].Timestamp;
            kind[i] = (byte)r.Chunks[i].Kind;
            tokens[i] = r.Chunks[i].Tokens ?? -1;
        }
        return new QueryOutcome(r.SentAt, r.CompletedAt, end, at, kind, tokens, r.Text, r.Reasoning, r.Usage?.InputTokens, r.Usage?.OutputTokens,
            r.Usage?.Source, r.Usage?.CachedInputTokens, r.Usage?.ReasoningTokens,
            r.ServerTimings.Count == 0 ? null : new Dictionary<string, double>(r.ServerTimings), r.FinishReason, r.Error?.Class, r.Error?.Message,
            r.Error?.RetryAfter?.TotalSeconds, r.Attempts, r.RetryWaitS, r.ToolCalls, r.Reconnected);
    }

    /// <summary>The result on the coordinator's clock.</summary>
    public InferenceResult ToResult(WorkerClock clock)
    {
        var chunks = new StreamChunk[ChunkAt.Length];
        for (var i = 0; i < chunks.Length; i++)
            chunks[i] = new StreamChunk(clock.ToLocal(ChunkAt[i]), (Abstractions.ChunkKind)ChunkKind[i], ChunkTokens[i] < 0 ? null : ChunkTokens[i]);
        var usage = UsageSource is null ? null : new TokenUsage(InputTokens, OutputTokens, UsageSource) { CachedInputTokens = CachedInputTokens, ReasoningTokens = ReasoningTokens };
        var error = ErrorClass is { } c ? new ClientError(c, ErrorMessage ?? "") { RetryAfter = RetryAfterS is { } s ? TimeSpan.FromSeconds(s) : null } : null;
        return new InferenceResult(clock.ToLocal(SentAt), clock.ToLocal(CompletedAt), chunks, Text, Reasoning, usage,
            ServerTimings ?? new Dictionary<string, double>(), FinishReason, error)
        {
            Attempts = Attempts,
            RetryWaitS = RetryWaitS,
            ToolCalls = ToolCalls,
            Reconnected = Reconnected,
        };
    }
}

/// <summary>What a worker process spent over its part of the run.</summary>
internal sealed record WorkerTotals(double ProcessCpuS, int GcCollections, double GcPauseS, long AllocatedBytes, int Sent, double MaxDispatchBlockS);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(WorkerMessage))]
internal sealed partial class WorkerJsonContext : JsonSerializerContext;

/// <summary>A worker's monotonic clock mapped onto the coordinator's: the same clock when the coordinator started the
/// worker on its own machine, else an offset measured by ping-pong (the exchange with the shortest round trip).</summary>
internal sealed class WorkerClock(long offset, double scale)
{
    public static WorkerClock Same { get; } = new(0, 1);

    /// <summary>Half the shortest round trip of the exchange that set the offset: how far off it may be, s.</summary>
    public double UncertaintyS { get; init; }

    public long ToLocal(long worker) => scale == 1 ? worker + offset : (long)(worker * scale) + offset;

    public long ToWorker(long local) => scale == 1 ? local - offset : (long)((local - offset) / scale);
}

/// <summary>Messages over one connection, a line each. Reads on the caller's task; writes are posted (never blocking the
/// sender: the open-loop thread posts orders, every query's completion posts its outcome) and one pump writes them in
/// order, flushing when none is waiting.</summary>
internal sealed class WorkerLink : IDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly System.Threading.Channels.Channel<WorkerMessage> _out =
        System.Threading.Channels.Channel.CreateUnbounded<WorkerMessage>(new() { SingleReader = true });
    private readonly Task _pump;

    public WorkerLink(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, new UTF8Encoding(false), false, 64 * 1024);
        _pump = Task.Run(PumpAsync);
    }

    public static async Task<WorkerLink> ConnectAsync(string host, int port, CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, cancel).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new WorkerLink(socket);
    }

    /// <summary>The next message; null when the other side closed the connection.</summary>
    /// <exception cref="InvalidDataException">A line that is not a protocol message.</exception>
    public async Task<WorkerMessage?> ReadAsync(CancellationToken cancel = default)
    {
        var line = await _reader.ReadLineAsync(cancel).ConfigureAwait(false);
        if (line is null) return null;
        try
        {
            return JsonSerializer.Deserialize(line, WorkerJsonContext.Default.WorkerMessage) ?? throw new InvalidDataException("a null message");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not an ipw worker message: {e.Message}");
        }
    }

    /// <summary>Queues a message; false when the link is closing.</summary>
    public bool Post(WorkerMessage message) => _out.Writer.TryWrite(message);

    /// <summary>Writes what was posted and stops writing.</summary>
    public Task CompleteAsync()
    {
        _out.Writer.TryComplete();
        return _pump;
    }

    private async Task PumpAsync()
    {
        var buffer = new BufferedStream(_stream, 64 * 1024);
        var reader = _out.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    JsonSerializer.Serialize(buffer, message, WorkerJsonContext.Default.WorkerMessage);
                    buffer.Write(NewLine);
                }
                await buffer.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // The other side is gone; its reader sees the end of the connection.
            _out.Writer.TryComplete();
        }
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _out.Writer.TryComplete();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // already closed
        }
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }
}
