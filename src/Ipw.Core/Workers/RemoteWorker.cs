using System.Collections.Concurrent;
using System.Diagnostics;
using Ipw.Abstractions;

namespace Ipw.Core.Workers;

/// <summary>A query handed to a worker: when it was sent (null: never, the order was dropped) and what came back.</summary>
internal sealed class PendingQuery(int worker)
{
    public int Worker => worker;
    public TaskCompletionSource<long?> Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource<(InferenceResult Result, long End)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The coordinator's side of one worker: its connection, its clock, the queries it holds. Its reader routes each
/// report to the query's <see cref="PendingQuery"/>; when the worker goes away, what it held ends: orders not yet sent
/// as dropped (counted in <see cref="Lost"/>), queries in flight as failed.</summary>
internal sealed class RemoteWorker(int id, WorkerLink link, WorkerClock clock, WorkerProcess? process) : IDisposable
{
    private readonly ConcurrentDictionary<int, PendingQuery> _pending = new();
    private Task? _reader;
    private int _lost;
    private volatile bool _alive = true;

    public int Id => id;
    public WorkerClock Clock => clock;
    public bool Alive => _alive;
    /// <summary>Orders that were never sent because the worker went away.</summary>
    public int Lost => Volatile.Read(ref _lost);
    /// <summary>Why the worker went away before it finished; null while it is well.</summary>
    public string? Exit { get; private set; }
    /// <summary>Its totals once it said bye (null: it went away first).</summary>
    public TaskCompletionSource<WorkerTotals?> Bye { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void StartReading() => _reader = Task.Run(ReadAsync);

    /// <summary>Hands the worker a query due at <paramref name="due"/> (this process's clock).</summary>
    public PendingQuery Order(int index, InferenceRequest request, long due)
    {
        var pending = new PendingQuery(id);
        _pending[index] = pending;
        if (!_alive || !link.Post(new WorkerMessage("order") { Order = QueryOrder.Of(index, clock.ToWorker(due), request) }))
            Lose(index);
        return pending;
    }

    public void Post(string type) => link.Post(new WorkerMessage(type));

    private async Task ReadAsync()
    {
        try
        {
            while (await link.ReadAsync().ConfigureAwait(false) is { } m)
            {
                switch (m.Type)
                {
                    case "sent" when m is { Index: { } i, At: { } at }:
                        if (_pending.TryGetValue(i, out var sent)) sent.Sent.TrySetResult(clock.ToLocal(at));
                        break;
                    case "done" when m is { Index: { } i, Outcome: { } outcome }:
                        if (_pending.TryRemove(i, out var done))
                        {
                            var end = clock.ToLocal(outcome.End);
                            done.Sent.TrySetResult(clock.ToLocal(outcome.SentAt)); // a report that never came (it always does first)
                            done.Done.TrySetResult((outcome.ToResult(clock), end));
                        }
                        break;
                    case "dropped" when m.Index is { } i:
                        if (_pending.TryRemove(i, out var dropped)) dropped.Sent.TrySetResult(null);
                        break;
                    case "bye":
                        Bye.TrySetResult(m.Totals);
                        break;
                    default:
                        throw new InvalidDataException($"unexpected message '{m.Type}'");
                }
            }
            GoneAway("it closed the connection");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            GoneAway(e.Message);
        }
    }

    private void GoneAway(string why)
    {
        _alive = false;
        if (Bye.Task.IsCompleted && _pending.IsEmpty) return;
        Exit = process?.Describe(why) ?? why;
        foreach (var index in _pending.Keys) Lose(index);
        Bye.TrySetResult(null);
    }

    /// <summary>Ends a query the worker no longer holds: never sent (dropped, lost) or failed mid-flight.</summary>
    private void Lose(int index)
    {
        if (!_pending.TryRemove(index, out var q)) return;
        if (q.Sent.Task.IsCompleted)
        {
            var sent = q.Sent.Task.Result ?? Stopwatch.GetTimestamp();
            q.Done.TrySetResult((new InferenceResult(sent, Stopwatch.GetTimestamp(), [], "", null, null, new Dictionary<string, double>(), null,
                new ClientError(ErrorClass.Other, $"worker {id} went away mid-query: {Exit ?? "its connection failed"}")), Stopwatch.GetTimestamp()));
        }
        else
        {
            Interlocked.Increment(ref _lost);
            q.Sent.TrySetResult(null);
        }
    }

    /// <summary>Waits for the reader to end (after bye the coordinator closes the link).</summary>
    public async Task CloseAsync(TimeSpan wait)
    {
        await link.CompleteAsync().ConfigureAwait(false);
        link.Dispose();
        if (_reader is not null) await _reader.WaitAsync(wait).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        process?.WaitOrKill(wait);
    }

    public void Dispose() => link.Dispose();
}
