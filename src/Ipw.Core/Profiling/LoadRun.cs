using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Runs;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Profiling;

/// <summary>
/// The measured part of a profile: sends the workload in the chosen load mode (sequential, closed loop
/// with N in flight, or open loop on an arrival schedule), measures each query, and writes each record
/// once its energy is final. Query tasks only measure; one consumer loop attributes energy, appends
/// records and reports progress, so the run store and the observers see a single thread.
/// </summary>
internal sealed class LoadRun(
    ProfileOptions options,
    IInferenceClient client,
    IDataset dataset,
    TelemetrySession session,
    TelemetryAttribution attribution,
    EnergyAttributor? energy,
    RunFolder run,
    SummaryState summary,
    IProfileObserver observer,
    ClientInfo info,
    long runStart,
    DateTimeOffset wallStart,
    SendGate? gate = null)
{
    /// <summary>Completed queries waiting for the writer. Bounded, so a writer that falls behind slows the senders
    /// (which the load report shows) instead of letting memory grow.</summary>
    private readonly Channel<Completion> _completions = Channel.CreateBounded<Completion>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.Wait, SingleReader = false, SingleWriter = false });
    private readonly Lock _itemLock = new();
    private readonly Distribution _sendLag = new(1e-6, 3600);
    private readonly Distribution _clientQueue = new(1e-6, 3600);
    private readonly TaskCompletionSource _allSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int? _planned = PlannedQueries(options, dataset);
    private IEnumerator<WorkloadItem>? _items;
    private CancellationTokenSource _sending = new();
    private CancellationToken _abort;
    private long _maxDispatchBlock;
    private TimeSpan _gcPause;
    private int _gcCount;
    private long _allocated;
    private int _nextIndex, _inFlight, _maxInFlight, _outstanding = 1;
    private long _measureStart, _firstSend = long.MaxValue, _lastSend = long.MinValue, _lastEnd = long.MinValue;
    private int _done, _errors;
    private long _outputTokens;
    private string _status = "completed";

    /// <summary>Queries the run will measure, when known in advance.</summary>
    public static int? PlannedQueries(ProfileOptions o, IDataset dataset)
    {
        if (o.Duration is { } d)
        {
            // A timed run cycles the dataset: only an open-loop rate or --max-queries bounds the count.
            int? byRate = o.Rate is { } r ? (int)Math.Min(int.MaxValue, Math.Round(r * d.TotalSeconds)) : null;
            return (byRate, o.MaxQueries) switch
            {
                ({ } a, { } b) => Math.Min(a, b),
                ({ } a, null) => a,
                (null, var b) => b,
            };
        }
        return o.MaxQueries is { } max ? Math.Min(max, dataset.Count ?? max) : dataset.Count;
    }

    public async Task<string> RunAsync(CancellationToken stop, CancellationToken abort)
    {
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        _sending = sending;
        _abort = abort;
        _items = dataset.Items(abort).GetEnumerator();
        var cpuStart = Environment.CpuUsage.TotalTime;
        var gcStart = GC.GetTotalPauseDuration();
        var gcCountStart = GC.CollectionCount(0);
        var allocatedStart = GC.GetTotalAllocatedBytes();
        _measureStart = Stopwatch.GetTimestamp();
        energy?.StartMeasuring(_measureStart);
        observer.OnMeasuring();
        observer.OnPhase(options.LoadMode switch
        {
            "open" => $"open loop at {options.Rate} requests/s ({options.Arrival.ToString().ToLowerInvariant()} arrivals)",
            "closed" => $"closed loop, {options.Concurrency} in flight",
            _ => "sequential",
        });

        Task dispatcher = options.Rate is { } rate
            ? Task.Factory.StartNew(() => OpenLoop(rate), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : ClosedLoopAsync();
        _ = dispatcher.ContinueWith(t =>
        {
            if (t.Exception is { } e) _completions.Writer.TryComplete(e.GetBaseException());
            else _allSent.Task.ContinueWith(_ => _completions.Writer.TryComplete(), TaskScheduler.Default);
        }, TaskScheduler.Default);

        await ConsumeAsync().ConfigureAwait(false);
        await dispatcher.ConfigureAwait(false);

        var measureEnd = _lastEnd == long.MinValue ? Stopwatch.GetTimestamp() : _lastEnd;
        if (energy is not null)
        {
            // Wait for the counters to pass the last query's end, then close the books.
            await IdleBaseline.WaitForHorizonAsync(energy, measureEnd, () => session.SampleNow(), options.SampleInterval, abort).ConfigureAwait(false);
            energy.Finish(measureEnd);
            DrainEnergy();
            WriteReady();
        }
        summary.MeasuredSpanS = Stopwatch.GetElapsedTime(_measureStart, measureEnd).TotalSeconds;
        _gcPause = GC.GetTotalPauseDuration() - gcStart;
        _gcCount = GC.CollectionCount(0) - gcCountStart;
        _allocated = GC.GetTotalAllocatedBytes() - allocatedStart;
        summary.Load = LoadReport(Environment.CpuUsage.TotalTime - cpuStart, Stopwatch.GetElapsedTime(_measureStart, measureEnd));
        if (abort.IsCancellationRequested || stop.IsCancellationRequested) return "interrupted";
        return _status;
    }

    private bool TryNext(out int index, out WorkloadItem item)
    {
        lock (_itemLock)
        {
            index = -1;
            item = null!;
            if (_sending.IsCancellationRequested || _items is null) return false;
            if (_planned is { } p && _nextIndex >= p) return false;
            if (options.Duration is { } d && Stopwatch.GetElapsedTime(_measureStart) - (gate?.Paused ?? TimeSpan.Zero) >= d) return false;
            if (!_items.MoveNext())
            {
                // A timed run cycles the dataset to fill its duration.
                if (options.Duration is null) return false;
                _items.Dispose();
                _items = dataset.Items(_abort).GetEnumerator();
                if (!_items.MoveNext()) return false;
            }
            index = _nextIndex++;
            item = _items.Current;
            return true;
        }
    }

    private async Task ClosedLoopAsync()
    {
        var workers = new Task[options.Concurrency];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (await GateAsync().ConfigureAwait(false) && TryNext(out var index, out var item))
                {
                    Interlocked.Increment(ref _outstanding);
                    await MeasureAsync(index, item, null).ConfigureAwait(false);
                }
            });
        }
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            SentOne();
        }
    }

    /// <summary>The open-loop scheduler, on its own thread: waits for each send time and hands the query to the
    /// thread pool, so a slow send never delays the next one.</summary>
    private void OpenLoop(double rate)
    {
        try
        {
            var schedule = new ArrivalSchedule(options.Arrival, rate, _planned, options.Seed);
            var step = (double)Stopwatch.Frequency;
            while (schedule.Next() is { } offset)
            {
                if (WaitForSlot((long)(offset * step)) is not { } due) break;
                if (!TryNext(out var index, out var item)) break;
                Interlocked.Increment(ref _outstanding);
                // Sent from this thread, which woke on time: a hand-off to the thread pool would queue behind the
                // stream continuations of every request in flight. SendAsync returns at its first wait (clients keep
                // CPU-bound work off the caller's thread); how long it held the scheduler is recorded.
                var before = Stopwatch.GetTimestamp();
                _ = MeasureAsync(index, item, due);
                _maxDispatchBlock = Math.Max(_maxDispatchBlock, Stopwatch.GetTimestamp() - before);
            }
        }
        finally
        {
            SentOne();
        }
    }

    /// <summary>Passes at once unless sending is paused; then waits for the resume. False when sending stopped.</summary>
    private async Task<bool> GateAsync()
    {
        if (gate is null) return true;
        try
        {
            await gate.WaitAsync(_sending.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The open loop's wait for a send time <paramref name="offset"/> ticks into the schedule, shifted by the
    /// time spent paused (a pause that begins during the wait shifts it again). Null when sending stopped.</summary>
    private long? WaitForSlot(long offset)
    {
        while (true)
        {
            if (gate is not null && !gate.Wait(_sending.Token)) return null;
            var due = _measureStart + offset + (gate?.PausedTicks ?? 0);
            if (!WaitUntil(due)) return null;
            if (gate is null || !gate.IsPaused) return due;
        }
    }

    /// <summary>Sleeps until <paramref name="due"/> (the scheduler spins only its last 100 µs, so it costs little CPU);
    /// false when sending stopped meanwhile.</summary>
    private bool WaitUntil(long due)
    {
        var handle = _sending.Token.WaitHandle;
        while (true)
        {
            if (_sending.IsCancellationRequested) return false;
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (remaining <= TimeSpan.Zero) return true;
            if (remaining >= TimeSpan.FromMilliseconds(2)) handle.WaitOne(remaining - TimeSpan.FromMilliseconds(1));
            else if (remaining > TimeSpan.FromMicroseconds(100)) Thread.Sleep(1);
            else Thread.SpinWait(20);
        }
    }

    private void SentOne()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0) _allSent.TrySetResult();
    }

    private async Task MeasureAsync(int index, WorkloadItem item, long? scheduled)
    {
        try
        {
            var inFlight = Interlocked.Increment(ref _inFlight);
            int seen;
            while (inFlight > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, inFlight, seen) != seen) { }
            var (attributionId, start) = energy?.Begin() ?? (-1, Stopwatch.GetTimestamp());
            var windowStart = session.OpenWindow();
            var request = new InferenceRequest(item.Id, item.Messages,
                new GenerationParameters(item.MaxTokens ?? options.MaxTokens, options.Temperature, unchecked(options.Seed + index)));
            InferenceResult result;
            try
            {
                result = await client.SendAsync(request, _abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                result = Failed(start, new ClientError(ErrorClass.Cancelled, "cancelled"));
            }
            catch (Exception e)
            {
                // A client bug must not end the run: record it as this query's error and carry on.
                result = Failed(start, new ClientError(ErrorClass.Other, $"{e.GetType().Name}: {e.Message}"));
            }
            var end = Stopwatch.GetTimestamp();
            var window = session.CloseWindow(windowStart);
            Interlocked.Decrement(ref _inFlight);
            var record = BuildRecord(index, item, result, start, scheduled, inFlight);
            attribution.Fill(record, window);
            Completed(record);
            long? firstToken = null;
            foreach (var c in result.Chunks)
                if (c.Kind != ChunkKind.Empty) { firstToken = c.Timestamp; break; }
            await _completions.Writer.WriteAsync(new Completion(record, attributionId, start, end, firstToken)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _completions.Writer.TryComplete(e);
        }
        finally
        {
            SentOne();
        }
    }

    /// <summary>Error limits act as each query completes (not when its record is written, which waits for the energy
    /// counters), so no query is sent after the limit is reached.</summary>
    private void Completed(QueryRecord record)
    {
        lock (_itemLock)
        {
            _completed++;
            if (record.Status != "ok") _completedErrors++;
            if (record.Status == "cancelled")
            {
                _status = "interrupted";
                _sending.Cancel();
            }
            else if (_status == "completed" && TooManyErrors())
            {
                _status = "aborted";
                summary.Failure = $"stopped by --max-errors after {_completedErrors} failed of {_completed} queries";
                _sending.Cancel();
            }
        }
    }

    private int _completed, _completedErrors;

    private static InferenceResult Failed(long at, ClientError error) =>
        new(at, Stopwatch.GetTimestamp(), [], "", null, null, new Dictionary<string, double>(), null, error);

    private QueryRecord BuildRecord(int index, WorkloadItem item, InferenceResult result, long start, long? scheduled, int inFlight)
    {
        // Latencies run from the client's send (an in-process engine counts its queue as sent, as a server would);
        // what the client did before sending (a token count, a connection) is kept apart in client_queue_s.
        var queue = Math.Max(0, Stopwatch.GetElapsedTime(start, result.SentAt).TotalSeconds);
        var timing = TimelineMetrics.From(result);
        var record = new QueryRecord
        {
            QueryIndex = index,
            ItemId = item.Id,
            Dataset = options.Dataset,
            Subject = item.Subject,
            Client = options.Client,
            Model = info.Model,
            Prompt = item.Prompt,
            Reference = item.Reference,
            Grader = item.Grader,
            Response = result.Text,
            Reasoning = result.Reasoning,
            Status = result.Error is null ? "ok" : result.Error.Class.ToString().ToLowerInvariant(),
            Error = result.Error?.Message,
            FinishReason = result.FinishReason,
            InputTokens = result.Usage?.InputTokens,
            OutputTokens = result.Usage?.OutputTokens,
            TokenCountSource = result.Usage?.Source,
            StartedAt = (wallStart + Stopwatch.GetElapsedTime(runStart, start)).ToString("O", CultureInfo.InvariantCulture),
            SentAtS = Stopwatch.GetElapsedTime(runStart, Math.Max(start, result.SentAt)).TotalSeconds,
            CompletedAtS = Stopwatch.GetElapsedTime(runStart, Math.Max(start, result.CompletedAt)).TotalSeconds,
            TtftS = timing.TtftS,
            E2eLatencyS = timing.E2eS,
            DecodeTokensPerS = timing.DecodeTokensPerS,
            TpotS = timing.TpotS,
            ItlP50S = timing.ItlP50S,
            ItlP99S = timing.ItlP99S,
            ScheduledAtS = scheduled is { } s ? Stopwatch.GetElapsedTime(runStart, s).TotalSeconds : null,
            SendLagS = scheduled is { } due ? Stopwatch.GetElapsedTime(due, start).TotalSeconds : null,
            InFlightAtSend = inFlight,
            ClientQueueS = queue,
            ServerPromptEvalS = result.ServerTimings.TryGetValue("prompt_eval", out var pe) ? pe : null,
            ServerEvalS = result.ServerTimings.TryGetValue("eval", out var ev) ? ev : null,
            ServerLoadS = result.ServerTimings.TryGetValue("load", out var ld) ? ld : null,
        };
        Scoring.Graders.GradeInto(record, item.Grader, item.Reference, result.Text, failed: result.Error is not null);
        return record;
    }

    private async Task ConsumeAsync()
    {
        var reader = _completions.Reader;
        Task<bool>? waiting = null;
        var lastSummary = Stopwatch.GetTimestamp();
        var lastWrite = 0L;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(options.SampleInterval.TotalMilliseconds, 5, 100));
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
            while (reader.TryRead(out var c)) Handle(c);
            if (energy is not null)
            {
                energy.Advance();
                DrainEnergy();
            }
            // Under load, one write per 50 ms at most: each write builds a whole Arrow batch, and per-record
            // batches were most of the harness's allocation (and so of its GC pauses) at hundreds of queries a second.
            if (finished || _ready.Count >= 512 || Stopwatch.GetElapsedTime(lastWrite) >= TimeSpan.FromMilliseconds(50))
            {
                WriteReady();
                lastWrite = Stopwatch.GetTimestamp();
            }
            if (Stopwatch.GetElapsedTime(lastSummary) >= options.SummaryInterval)
            {
                run.WriteSummary(summary.ToJson("running", run.RecordsWritten, Stopwatch.GetElapsedTime(runStart)));
                lastSummary = Stopwatch.GetTimestamp();
            }
            if (finished) break;
        }
    }

    private void Handle(Completion c)
    {
        _lastEnd = Math.Max(_lastEnd, c.End);
        _firstSend = Math.Min(_firstSend, c.Start);
        _lastSend = Math.Max(_lastSend, c.Start);
        if (c.Record.SendLagS is { } lag) _sendLag.Add(lag);
        if (c.Record.ClientQueueS is { } q) _clientQueue.Add(q);
        if (energy is null) Finalize(c.Record);
        else energy.End(c.AttributionId, c.End, c.FirstToken, c.Record);
    }

    private void DrainEnergy()
    {
        foreach (var (e, tag) in energy!.Drain())
        {
            var record = (QueryRecord)tag!;
            attribution.FillEnergy(record, e, options.Attribution, summary.IdleBefore?.MeanW);
            summary.AddEnergyFlags(e.Flags);
            Finalize(record);
        }
    }

    private readonly List<QueryRecord> _ready = [];

    private void Finalize(QueryRecord record) => _ready.Add(record);

    /// <summary>Writes every record made final in this pass in one batch and one write (one record at a time when
    /// queries complete one at a time), then reports them: an observer sees a record once it is on disk.</summary>
    private void WriteReady()
    {
        if (_ready.Count == 0) return;
        run.Append(_ready);
        foreach (var record in _ready)
        {
            summary.Add(record);
            _done++;
            if (record.Status != "ok") _errors++;
            _outputTokens += record.OutputTokens ?? 0;
            observer.OnQueryCompleted(record, new ProfileProgress(_done, _planned, _errors, _outputTokens, Stopwatch.GetElapsedTime(_measureStart)));
        }
        _ready.Clear();
    }

    private bool TooManyErrors() =>
        (options.MaxErrors is { } max && _completedErrors >= max)
        || (options.MaxErrorRate is { } rate && _completed >= 10 && _completedErrors > rate * _completed);

    /// <summary>The load section of summary.json: what was asked, what was achieved, and how the harness itself did.</summary>
    private JsonObject LoadReport(TimeSpan cpu, TimeSpan span)
    {
        var sent = _done;
        double? achieved = null;
        if (options.Rate is { } rate && sent > 0)
        {
            // The rate the service really received: sends over the time they took. A planned schedule of N sends
            // spans N/R; sending later than that (the harness falling behind) stretches it.
            // Time spent paused is not sending time.
            var paused = gate?.Paused.TotalSeconds ?? 0;
            var toLastSend = Stopwatch.GetElapsedTime(_measureStart, _lastSend).TotalSeconds - paused;
            achieved = _planned is { } n && n == sent ? sent / Math.Max(n / rate, toLastSend)
                : sent > 1 ? (sent - 1) / (Stopwatch.GetElapsedTime(_firstSend, _lastSend).TotalSeconds - paused) : null;
        }
        var cores = Environment.ProcessorCount;
        var cpuShare = span > TimeSpan.Zero ? cpu.TotalSeconds / span.TotalSeconds : (double?)null;
        var warnings = new JsonArray();
        if (options.Rate is { } r)
        {
            var lagP99 = _sendLag.Percentile(99);
            var limit = Math.Max(0.005, 0.1 / r);
            if (lagP99 is { } lag && lag > limit)
                warnings.Add($"the harness fell behind its schedule: send lag p99 {lag * 1000:F1} ms (limit {limit * 1000:F1} ms); the client, not the service, limited the rate");
            if (achieved is { } a && a < 0.99 * r)
                warnings.Add($"achieved {a:F2} requests/s of the {r} requested");
        }
        if (options.Rate is not null && (double)_maxDispatchBlock / Stopwatch.Frequency > 0.005)
            warnings.Add($"the client held the open-loop scheduler for up to {(double)_maxDispatchBlock / Stopwatch.Frequency * 1000:F1} ms per send (its SendAsync works before its first wait)");
        if (cpuShare is { } c && c > 0.9 * cores)
            warnings.Add($"the ipw process used {c:F2} of {cores} cores: the client may be what limits throughput (this includes any in-process engine)");
        if (options.Concurrency > 1 || options.Rate is not null)
        {
            if (_clientQueue.Percentile(99) is { } q && q > 0.01)
                warnings.Add($"requests waited inside the client before being sent (p99 {q * 1000:F1} ms): the client serves fewer requests at once than asked");
        }
        return new JsonObject
        {
            ["mode"] = options.LoadMode,
            ["concurrency"] = options.Rate is null ? options.Concurrency : null,
            ["rate_per_s"] = options.Rate,
            ["arrival"] = options.Rate is null ? null : options.Arrival.ToString().ToLowerInvariant(),
            ["duration_s"] = options.Duration?.TotalSeconds,
            ["planned_queries"] = _planned,
            ["sent"] = sent,
            ["measured_span_s"] = span.TotalSeconds,
            ["achieved_rate_per_s"] = achieved,
            ["completed_per_s"] = span > TimeSpan.Zero ? sent / span.TotalSeconds : null,
            ["max_in_flight"] = _maxInFlight,
            ["pauses"] = gate?.Pauses ?? 0,
            ["paused_s"] = gate?.Paused.TotalSeconds ?? 0,
            ["send_lag_s"] = _sendLag.ToJson(),
            ["client_queue_s"] = _clientQueue.ToJson(),
            ["harness"] = new JsonObject
            {
                ["process_cpu_s"] = cpu.TotalSeconds,
                ["process_cpu_cores"] = cpuShare,
                ["max_dispatch_block_s"] = options.Rate is null ? null : (double)_maxDispatchBlock / Stopwatch.Frequency,
                ["logical_cores"] = cores,
                ["gc_collections"] = _gcCount,
                ["gc_pause_s"] = _gcPause.TotalSeconds,
                ["allocated_bytes_per_query"] = sent > 0 ? _allocated / sent : null,
                ["note"] = "CPU of the whole ipw process over the measured span, including any in-process engine",
            },
            ["warnings"] = warnings,
        };
    }

    private sealed record Completion(QueryRecord Record, int AttributionId, long Start, long End, long? FirstToken);
}
