using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ipw.Abstractions;
using Ipw.Core.Profiling;

namespace Ipw.Core.Workers;

/// <summary>
/// The coordinator's workers (<c>--workers N</c>): started here as <c>ipw worker</c> processes on a loopback port, or,
/// with <c>--workers-listen</c>, awaited from elsewhere (each <c>ipw worker --connect</c>, e.g. an index of a
/// Kubernetes Indexed Job). Each is given the run's client; the open loop then hands each query to the next worker
/// <see cref="Lead"/> before it is due, so the worker's own timer sends it.
/// </summary>
internal sealed class WorkerPool : IAsyncDisposable
{
    /// <summary>How long before its send time a query is handed to its worker.</summary>
    public static readonly TimeSpan Lead = TimeSpan.FromMilliseconds(100);
    /// <summary>How late a worker's report of a send may reach the energy attribution.</summary>
    public static readonly TimeSpan ReportDelay = TimeSpan.FromMilliseconds(250);

    private readonly RemoteWorker[] _workers;
    private readonly WorkerProcess[] _processes;
    private readonly TcpListener _listener;
    private int _next;

    private WorkerPool(RemoteWorker[] workers, WorkerProcess[] processes, TcpListener listener)
    {
        _workers = workers;
        _processes = processes;
        _listener = listener;
    }

    public IReadOnlyList<RemoteWorker> Workers => _workers;

    /// <summary>Starts (or awaits) the workers and gives each the run's client; a worker that cannot make it fails the
    /// run before anything is measured, with its reason.</summary>
    /// <param name="warmup">What each worker sends before it says ready (the run's warm-up queries).</param>
    public static async Task<WorkerPool> StartAsync(ProfileOptions options, IReadOnlyList<InferenceRequest> warmup, CancellationToken cancel)
    {
        var spawn = options.WorkersListen is null;
        var listener = new TcpListener(spawn ? new IPEndPoint(IPAddress.Loopback, 0) : Endpoint(options.WorkersListen!));
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new UserError($"--workers-listen {options.WorkersListen}: {e.Message}");
        }
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var processes = spawn ? Enumerable.Range(0, options.Workers).Select(i => WorkerProcess.Start(port, i)).ToArray() : [];
        var workers = new List<RemoteWorker>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(spawn ? TimeSpan.FromSeconds(60) : TimeSpan.FromMinutes(10));
        try
        {
            while (workers.Count < options.Workers)
            {
                var socket = await AcceptAsync(listener, processes, workers.Count, options.Workers, timeout.Token).ConfigureAwait(false);
                workers.Add(await HandshakeAsync(new WorkerLink(socket), options, warmup, spawn ? processes : null, timeout.Token).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (var w in workers) w.Dispose();
            foreach (var p in processes) p.Dispose();
            listener.Stop();
            throw;
        }
        foreach (var w in workers) w.StartReading();
        return new WorkerPool([.. workers.OrderBy(w => w.Id)], processes, listener);
    }

    private static IPEndPoint Endpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw new UserError($"--workers-listen must be host:port (e.g. 0.0.0.0:7077), got '{text}'");
        var host = text[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address)) return new IPEndPoint(address, port);
        try
        {
            return new IPEndPoint(Dns.GetHostAddresses(host).First(), port);
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            throw new UserError($"--workers-listen {text}: cannot resolve '{host}'");
        }
    }

    private static async Task<Socket> AcceptAsync(TcpListener listener, WorkerProcess[] processes, int have, int want, CancellationToken timeout)
    {
        var accept = listener.AcceptSocketAsync(timeout).AsTask();
        while (true)
        {
            // A worker that exits before it connects (no ipw, a bad plugin) is reported at once, not after the timeout.
            var done = await Task.WhenAny(accept, Task.Delay(200, CancellationToken.None)).ConfigureAwait(false);
            if (done == accept)
            {
                try
                {
                    return await accept.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    throw new UserError($"--workers: {have} of {want} workers connected in time");
                }
            }
            if (processes.FirstOrDefault(p => p.HasExited) is { } dead)
                throw new UserError($"--workers: a worker process exited before it connected ({dead.Describe("")})");
        }
    }

    private static async Task<RemoteWorker> HandshakeAsync(WorkerLink link, ProfileOptions options, IReadOnlyList<InferenceRequest> warmup,
        WorkerProcess[]? processes, CancellationToken cancel)
    {
        try
        {
            var hello = await link.ReadAsync(cancel).ConfigureAwait(false);
            if (hello is not { Type: "hello", Worker: { } id, Frequency: { } frequency })
                throw new UserError($"--workers: a connection that is not an ipw worker (it said '{hello?.Type}')");
            if (hello.Version != WorkerMessage.ProtocolVersion)
                throw new UserError($"--workers: worker {id} speaks protocol {hello.Version}, this ipw {WorkerMessage.ProtocolVersion}: run the same ipw version");
            var process = processes is not null && id >= 0 && id < processes.Length ? processes[id] : null;
            var clock = processes is not null ? WorkerClock.Same : await MeasureClockAsync(link, frequency, cancel).ConfigureAwait(false);
            link.Post(new WorkerMessage("setup")
            {
                Setup = new WorkerSetup(options.Client, options.Model, options.BaseUrl, new Dictionary<string, string>(options.ClientSettings),
                    options.WaitReady?.TotalSeconds, [.. warmup.Select(r => QueryOrder.Of(-1, 0, r))]),
            });
            var answer = await link.ReadAsync(cancel).ConfigureAwait(false);
            if (answer is { Type: "fail" }) throw new UserError($"worker {id}: {answer.Error}");
            if (answer is not { Type: "ready" }) throw new UserError($"--workers: worker {id} did not get ready ({process?.Describe("") ?? "its connection closed"})");
            return new RemoteWorker(id, link, clock, process);
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    /// <summary>A worker on another machine: its clock's offset from eight ping-pongs, the one with the shortest round
    /// trip (its midpoint taken as the moment the worker read its clock).</summary>
    private static async Task<WorkerClock> MeasureClockAsync(WorkerLink link, long frequency, CancellationToken cancel)
    {
        var scale = (double)Stopwatch.Frequency / frequency;
        var best = (Rtt: long.MaxValue, Offset: 0L);
        for (var i = 0; i < 8; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            link.Post(new WorkerMessage("ping") { Clock = sent });
            var pong = await link.ReadAsync(cancel).ConfigureAwait(false);
            var back = Stopwatch.GetTimestamp();
            if (pong is not { Type: "pong", Clock: { } theirs }) throw new UserError("--workers: a worker did not answer the clock exchange");
            if (back - sent < best.Rtt) best = (back - sent, (sent + back) / 2 - (long)(theirs * scale));
        }
        return new WorkerClock(best.Offset, scale) { UncertaintyS = best.Rtt / 2.0 / Stopwatch.Frequency };
    }

    /// <summary>Hands a query to the next worker that is still there (round robin); with none left it is dropped.</summary>
    public PendingQuery Dispatch(int index, InferenceRequest request, long due)
    {
        for (var tries = 0; tries < _workers.Length; tries++)
        {
            var w = _workers[(int)((uint)Interlocked.Increment(ref _next) % (uint)_workers.Length)];
            if (w.Alive) return w.Order(index, request, due);
        }
        var none = new PendingQuery(-1);
        none.Sent.TrySetResult(null);
        return none;
    }

    /// <summary>Send nothing more: orders not yet due are dropped.</summary>
    public void Stop()
    {
        foreach (var w in _workers) w.Post("stop");
    }

    /// <summary>Cancel what is in flight (each query ends as cancelled).</summary>
    public void Abort()
    {
        foreach (var w in _workers) w.Post("abort");
    }

    /// <summary>Tells every worker there is nothing more and collects what each spent (null for one that went away).</summary>
    public async Task<IReadOnlyList<WorkerTotals?>> FinishAsync()
    {
        foreach (var w in _workers) w.Post("finish");
        var totals = new List<WorkerTotals?>();
        foreach (var w in _workers)
        {
            var bye = await Task.WhenAny(w.Bye.Task, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
            totals.Add(bye == w.Bye.Task ? await w.Bye.Task.ConfigureAwait(false) : null);
        }
        return totals;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _workers) await w.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        foreach (var w in _workers) w.Dispose();
        foreach (var p in _processes) p.Dispose();
        _listener.Stop();
    }
}
