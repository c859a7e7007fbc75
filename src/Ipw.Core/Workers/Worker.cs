using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Load;
using Ipw.Core.Plugins;

namespace Ipw.Core.Workers;

/// <summary>
/// <c>ipw worker</c>: one load worker. It connects to the coordinator (an <c>ipw profile --workers N</c>), makes the
/// run's client from the setup it is sent, then sends each order when it is due and reports the send at once and the
/// client's result when it returns. It keeps nothing: the coordinator measures, attributes and writes.
/// </summary>
public static class Worker
{
    /// <summary>Runs until the coordinator says finish (0) or goes away (1).</summary>
    /// <param name="connectFor">How long to keep trying to reach the coordinator (workers may start before it listens).</param>
    /// <exception cref="UserError">The coordinator cannot be reached, or speaks another protocol.</exception>
    public static async Task<int> RunAsync(PluginRegistries registries, string host, int port, int id, TimeSpan connectFor, CancellationToken cancel)
    {
        var trying = Stopwatch.StartNew();
        WorkerLink link;
        while (true)
        {
            try
            {
                link = await WorkerLink.ConnectAsync(host, port, cancel).ConfigureAwait(false);
                break;
            }
            catch (System.Net.Sockets.SocketException e)
            {
                if (trying.Elapsed >= connectFor)
                    throw new UserError($"worker {id}: cannot reach the coordinator at {host}:{port}: {e.Message} (tried for {trying.Elapsed.TotalSeconds:F0} s)");
                await Task.Delay(200, cancel).ConfigureAwait(false);
            }
        }
        using (link)
        {
            link.Post(new WorkerMessage("hello") { Worker = id, Version = WorkerMessage.ProtocolVersion, Frequency = Stopwatch.Frequency });
            var client = await SetUpAsync(registries, link, id, cancel).ConfigureAwait(false);
            if (client is null)
            {
                await link.CompleteAsync().ConfigureAwait(false);
                return 1;
            }
            await using (client)
            {
                var ended = await new WorkerRunner(client, link).RunAsync(cancel).ConfigureAwait(false);
                await link.CompleteAsync().ConfigureAwait(false);
                return ended ? 0 : 1;
            }
        }
    }

    /// <summary>Answers clock pings until the setup comes, then makes and prepares the client; null (having said why
    /// to the coordinator) when it cannot.</summary>
    private static async Task<IInferenceClient?> SetUpAsync(PluginRegistries registries, WorkerLink link, int id, CancellationToken cancel)
    {
        while (await link.ReadAsync(cancel).ConfigureAwait(false) is { } m)
        {
            if (m.Type == "ping")
            {
                link.Post(new WorkerMessage("pong") { Clock = Stopwatch.GetTimestamp() });
                continue;
            }
            if (m is not { Type: "setup", Setup: { } setup }) throw new InvalidDataException($"worker {id}: expected setup, got '{m.Type}'");
            IInferenceClient? client = null;
            try
            {
                var entry = registries.Clients.Resolve(setup.Client);
                client = entry.Descriptor.Create(new ClientOptions(setup.Model, setup.BaseUrl, setup.Settings)
                {
                    WaitReady = setup.WaitReadyS is { } s ? TimeSpan.FromSeconds(s) : null,
                });
                await client.PrepareAsync(cancel).ConfigureAwait(false);
                foreach (var warmup in setup.Warmup) await client.SendAsync(warmup.ToRequest(), cancel).ConfigureAwait(false);
                link.Post(new WorkerMessage("ready") { Worker = id });
                return client;
            }
            catch (Exception e) when (e is UserError or PluginConfigurationException or HttpRequestException or InvalidOperationException)
            {
                if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
                link.Post(new WorkerMessage("fail") { Worker = id, Error = $"{setup.Client}: {e.Message}" });
                return null;
            }
        }
        return null;
    }
}

/// <summary>A worker's sending: orders wait in a queue by due time; one thread sends each when due (as the open loop
/// does in one process) and reports the send stamp before the client's first wait.</summary>
internal sealed class WorkerRunner(IInferenceClient client, WorkerLink link)
{
    private readonly PriorityQueue<QueryOrder, long> _due = new();
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _finishing, _stopped, _dispatching = true;
    private int _inFlight, _sent;
    private long _maxBlock;

    /// <returns>True when the coordinator said finish; false when it went away.</returns>
    public async Task<bool> RunAsync(CancellationToken cancel)
    {
        var usage = HarnessUsage.Now();
        var dispatcher = new Thread(Dispatch) { IsBackground = true, Name = "ipw worker sends" };
        dispatcher.Start();
        var finished = false;
        try
        {
            while (!finished && await link.ReadAsync(cancel).ConfigureAwait(false) is { } m)
            {
                switch (m.Type)
                {
                    case "order" when m.Order is { } order:
                        lock (_lock)
                        {
                            if (_stopped) link.Post(new WorkerMessage("dropped") { Index = order.Index });
                            else _due.Enqueue(order, order.Due);
                        }
                        _wake.Set();
                        break;
                    case "stop":
                        Drop();
                        break;
                    case "abort":
                        Drop();
                        await _abort.CancelAsync().ConfigureAwait(false);
                        break;
                    case "finish":
                        finished = true;
                        break;
                    default:
                        throw new InvalidDataException($"unexpected message '{m.Type}'");
                }
            }
        }
        finally
        {
            if (!finished)
            {
                // The coordinator is gone: nothing more is wanted.
                Drop();
                await _abort.CancelAsync().ConfigureAwait(false);
            }
            lock (_lock) _finishing = true;
            _wake.Set();
            dispatcher.Join();
            Volatile.Write(ref _dispatching, false);
            if (Volatile.Read(ref _inFlight) == 0) _drained.TrySetResult();
            await _drained.Task.ConfigureAwait(false);
        }
        var spent = HarnessUsage.Now().Since(usage);
        link.Post(new WorkerMessage("bye")
        {
            Totals = new WorkerTotals(spent.Cpu.TotalSeconds, spent.GcCollections, spent.GcPause.TotalSeconds, spent.AllocatedBytes, _sent,
                Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _maxBlock)).TotalSeconds),
        });
        return finished;
    }

    /// <summary>Drops every order not yet sent, saying so for each.</summary>
    private void Drop()
    {
        lock (_lock)
        {
            _stopped = true;
            while (_due.TryDequeue(out var order, out _)) link.Post(new WorkerMessage("dropped") { Index = order.Index });
        }
        _wake.Set();
    }

    private void Dispatch()
    {
        while (true)
        {
            QueryOrder? next;
            lock (_lock)
            {
                if (_due.Count == 0 && _finishing) return;
                next = _due.Count > 0 ? _due.Peek() : null;
            }
            if (next is null)
            {
                _wake.WaitOne(TimeSpan.FromMilliseconds(100));
                continue;
            }
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next.Due);
            if (remaining > TimeSpan.Zero)
            {
                // As the open loop waits: sleep, then the last 100 µs spun; an earlier order or a stop wakes it.
                if (remaining >= TimeSpan.FromMilliseconds(2)) _wake.WaitOne(remaining - TimeSpan.FromMilliseconds(1));
                else if (remaining > TimeSpan.FromMicroseconds(100)) Thread.Sleep(1);
                else Thread.SpinWait(20);
                continue;
            }
            lock (_lock)
            {
                if (_due.Count == 0 || !ReferenceEquals(_due.Peek(), next)) continue;
                _due.Dequeue();
            }
            Send(next);
        }
    }

    private void Send(QueryOrder order)
    {
        var at = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _inFlight);
        _sent++;
        link.Post(new WorkerMessage("sent") { Index = order.Index, At = at });
        _ = CompleteAsync(order.Index, QueryMeter.SendAsync(client, order.ToRequest(), at, _abort.Token));
        var held = Stopwatch.GetTimestamp() - at;
        if (held > Interlocked.Read(ref _maxBlock)) Interlocked.Exchange(ref _maxBlock, held);
    }

    private async Task CompleteAsync(int index, Task<InferenceResult> sending)
    {
        var result = await sending.ConfigureAwait(false);
        link.Post(new WorkerMessage("done") { Index = index, Outcome = QueryOutcome.From(result, Stopwatch.GetTimestamp()) });
        if (Interlocked.Decrement(ref _inFlight) == 0 && !Volatile.Read(ref _dispatching)) _drained.TrySetResult();
    }
}
