using System.Diagnostics;
using System.Threading.Channels;
using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Profiling;
using Ipw.Core.Records;
using Ipw.Core.Summary;
using Ipw.Core.Telemetry;
using Ipw.Core.Workers;

namespace Ipw.Core.Load;

/// <summary>What a load run works with; <paramref name="Done"/>: the items a resumed run recorded before (by query index);
/// <paramref name="Workers"/>: the worker processes that send the queries (null: this process sends them);
/// <paramref name="Server"/>: the server the run launched, whose exit ends it (null: none); <paramref name="Replays"/>: the items are
/// conversations replayed turn by turn, so the queries are not counted in advance; <paramref name="Agent"/>: answers each
/// item step by step (null: one query per item).</summary>
internal sealed record LoadParts(ProfileOptions Options, IInferenceClient Client, IDataset Dataset, TelemetrySession Session,
    EnergyAttributor? Energy, SendGate? Gate, IReadOnlyDictionary<int, string>? Done = null, WorkerPool? Workers = null,
    Serving.LaunchedServer? Server = null, bool Replays = false, IAgent? Agent = null);

/// <summary>
/// The measured part of a profile: sends the workload by its strategy (closed or open loop), measures each query once
/// (<see cref="QueryMeter"/>), and hands each measurement to the one consumer (<see cref="RecordPipeline"/>), so the run
/// store and the observers see a single thread. <see cref="StopPolicy"/> ends sending early; <see cref="LoadReport"/>
/// says how the load went.
/// </summary>
internal sealed class LoadDriver(LoadParts parts, RecordPipeline pipeline, SummaryPublisher summary, IProfileObserver observer)
{
    /// <summary>Measured queries waiting for the consumer. Bounded, so a consumer that falls behind slows the senders
    /// (which the load report shows) instead of letting memory grow.</summary>
    private readonly Channel<MeasuredQuery> _measured = Channel.CreateBounded<MeasuredQuery>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.Wait });
    private readonly ItemSource _items = new(parts.Options, parts.Dataset, parts.Gate, parts.Done);
    private readonly IQueryMeter _meter = parts.Workers is { } pool ? new RemoteMeter(parts.Options, pool, pipeline.Windows)
        : parts.Agent is { } agent ? new AgentMeter(parts.Options, parts.Client, agent, pipeline.Windows, observer.OnAgentStep)
        : new QueryMeter(parts.Options, parts.Client, pipeline.Windows);
    private long _measureStart;
    private int _nextTurnIndex;

    private ProfileOptions Options => parts.Options;

    /// <summary>The queries planned (null when unknown: a timed run, conversations whose turns are counted as they go).</summary>
    private int? PlannedQueries => parts.Replays ? null : _items.Planned;

    /// <returns>"completed", "interrupted" or "aborted".</returns>
    public async Task<string> RunAsync(CancellationToken stop, CancellationToken abort)
    {
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        var policy = new StopPolicy(Options, sending);
        using var serverExit = parts.Server?.OnExit(policy.ServerExited) ?? default;
        ILoadStrategy strategy = Options.Rate is not null
            ? new OpenLoop(Options, _items.Planned, parts.Gate, parts.Workers is null ? TimeSpan.Zero : WorkerPool.Lead)
            : new ClosedLoop(Options.Concurrency, parts.Gate);
        using var stopWorkers = parts.Workers is { } pool ? sending.Token.Register(pool.Stop) : default;
        using var abortWorkers = parts.Workers is { } pool2 ? abort.Register(pool2.Abort) : default;
        if (parts.Workers is not null && parts.Energy is { } attributor) attributor.AdmissionDelay = WorkerPool.ReportDelay;
        var report = new LoadReport(Options, PlannedQueries, parts.Gate);
        var usageStart = HarnessUsage.Now();
        _measureStart = Stopwatch.GetTimestamp();
        _items.Start(_measureStart, sending.Token, abort);
        parts.Energy?.StartMeasuring(_measureStart);
        observer.OnMeasuring();
        observer.OnPhase(strategy.Description);

        var inFlight = 1; // the strategy itself, until it returns: the channel completes when it and every query are done
        void Done()
        {
            if (Interlocked.Decrement(ref inFlight) == 0) _measured.Writer.TryComplete();
        }
        async Task Send(int index, WorkloadItem item, long? scheduled)
        {
            Interlocked.Increment(ref inFlight);
            try
            {
                if (item.ReplayTurns) await ReplayAsync(index, item, scheduled, policy, sending.Token, abort).ConfigureAwait(false);
                else if (await _meter.MeasureAsync(index, item, scheduled, abort).ConfigureAwait(false) is { } measured)
                {
                    policy.Completed(QueryStatus(measured));
                    await _measured.Writer.WriteAsync(measured).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                _measured.Writer.TryComplete(e);
            }
            finally
            {
                Done();
            }
        }
        var sender = strategy.RunAsync(_items, Send, _measureStart, sending.Token);
        _ = sender.ContinueWith(t =>
        {
            if (t.Exception is { } e) _measured.Writer.TryComplete(e.GetBaseException());
            else Done();
        }, TaskScheduler.Default);

        try
        {
            await ConsumeAsync(report).ConfigureAwait(false);
        }
        catch
        {
            // The records cannot be kept (the disk is full): send nothing more.
            sending.Cancel();
            throw;
        }
        await sender.ConfigureAwait(false);
        // A server closes its port a moment before its process is gone: the queries sent in that moment fail and may stop
        // the run first. Its exit is the reason.
        if (parts.Server is { } server && policy.Status == "aborted" && server.ExitedBy(TimeSpan.FromSeconds(2))) policy.ServerExited(server.DiedMessage());
        var workerTotals = parts.Workers is { } workers ? await workers.FinishAsync().ConfigureAwait(false) : null;
        if (parts.Energy is { } e) e.AdmissionDelay = TimeSpan.Zero;

        var measureEnd = report.LastEnd == long.MinValue ? Stopwatch.GetTimestamp() : report.LastEnd;
        if (parts.Energy is { } energy)
        {
            // Wait for the counters to pass the last query's end, then close the books.
            await IdleBaseline.WaitForHorizonAsync(energy, measureEnd, () => parts.Session.SampleNow(), Options.SampleInterval, abort).ConfigureAwait(false);
            pipeline.Finish(measureEnd);
            pipeline.Write(PlannedQueries, _measureStart);
        }
        summary.State.MeasuredSpanS = Stopwatch.GetElapsedTime(_measureStart, measureEnd).TotalSeconds;
        summary.State.Load = report.ToSection(_measureStart, measureEnd, HarnessUsage.Now().Since(usageStart), _meter.MaxInFlight,
            (strategy as OpenLoop)?.MaxDispatchBlock, parts.Workers?.Workers, workerTotals);
        summary.State.Failure ??= policy.Failure;
        if (abort.IsCancellationRequested || stop.IsCancellationRequested) return "interrupted";
        return policy.Status;
    }

    private static string QueryStatus(MeasuredQuery q) => ClientError.StatusOf(q.Result.Error);

    /// <summary>A conversation (<see cref="ConversationReplay"/>), turn after turn in this one slot, each turn a query of its
    /// own with the next free query index, the think time (<c>--turn-gap</c>) between them. A failed turn ends its
    /// conversation (there is no answer to carry on from); so does a stop.</summary>
    private async Task ReplayAsync(int conversation, WorkloadItem item, long? scheduled, StopPolicy policy, CancellationToken sending, CancellationToken abort)
    {
        if (parts.Workers is not null) throw new UserError("--workers sends single queries: replay conversations (turns=all) in one process");
        var random = new Random(unchecked(Options.Seed + conversation));
        var answers = new List<string>();
        var turns = ConversationReplay.Turns(item);
        var answeredAt = 0L;
        for (var turn = 1; turn <= turns; turn++)
        {
            // The think time runs from the moment the answer to the last turn arrived; timers may fire a millisecond
            // early, so the last stretch is waited out against the run's clock.
            if (turn > 1 && Options.TurnGap.Draw(random) is { } gap && gap > TimeSpan.Zero)
            {
                var due = answeredAt + (long)(gap.TotalSeconds * Stopwatch.Frequency);
                try
                {
                    while (Stopwatch.GetTimestamp() < due)
                        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.001, (due - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency)), sending)
                            .ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            if (sending.IsCancellationRequested) return;
            var index = Interlocked.Increment(ref _nextTurnIndex) - 1;
            if (await _meter.MeasureAsync(index, ConversationReplay.Turn(item, answers, turn), turn == 1 ? scheduled : null, abort).ConfigureAwait(false)
                is not { } measured) return;
            measured = measured with { ConversationId = item.Id, Turn = turn, ConversationTurns = turns };
            policy.Completed(QueryStatus(measured));
            await _measured.Writer.WriteAsync(measured).ConfigureAwait(false);
            if (measured.Result.Error is not null) return;
            answers.Add(measured.Result.Text);
            answeredAt = measured.Result.CompletedAt;
        }
    }

    /// <summary>The consumer loop: takes measurements, lets energy become final, writes in batches, refreshes summary.json.</summary>
    private async Task ConsumeAsync(LoadReport report)
    {
        var reader = _measured.Reader;
        Task<bool>? waiting = null;
        var lastSummary = Stopwatch.GetTimestamp();
        var lastWrite = 0L;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(Options.SampleInterval.TotalMilliseconds, 5, 100));
        while (true)
        {
            waiting ??= reader.WaitToReadAsync().AsTask();
            if (!waiting.IsCompleted) await Task.WhenAny(waiting, Task.Delay(tick)).ConfigureAwait(false);
            var finished = false;
            if (waiting.IsCompleted)
            {
                finished = !await waiting.ConfigureAwait(false);
                waiting = null;
            }
            while (reader.TryRead(out var m))
            {
                report.Observe(m);
                pipeline.Add(m);
            }
            pipeline.Advance();
            // Under load, one write per 50 ms at most: each write builds a whole Arrow batch, and per-record batches were
            // most of the harness's allocation (and so of its GC pauses) at hundreds of queries a second.
            if (finished || pipeline.Ready >= 512 || Stopwatch.GetElapsedTime(lastWrite) >= TimeSpan.FromMilliseconds(50))
            {
                pipeline.Write(PlannedQueries, _measureStart);
                lastWrite = Stopwatch.GetTimestamp();
            }
            if (Stopwatch.GetElapsedTime(lastSummary) >= Options.SummaryInterval)
            {
                summary.Publish("running");
                lastSummary = Stopwatch.GetTimestamp();
            }
            if (finished) break;
        }
    }
}
