using System.Diagnostics;
using Ipw.Core.Profiling;
using Ipw.Core.Records;
using Ipw.Core.Summary;

namespace Ipw.Core.Load;

/// <summary>
/// The load section of summary.json: what was asked, what was achieved, and how the harness itself did, with a warning
/// wherever the harness, not the service, may have limited the load. Fed each measured query on the consumer thread.
/// </summary>
internal sealed class LoadReport(ProfileOptions options, int? planned, SendGate? gate)
{
    /// <summary>Send lag p99 above this (or above a tenth of the mean gap) means the harness fell behind, s.</summary>
    private const double SendLagLimitS = 0.005;
    /// <summary>A client holding the open-loop scheduler longer than this per send delays the schedule, s.</summary>
    private const double DispatchBlockLimitS = 0.005;
    /// <summary>Client-side queueing p99 above this means the client serves fewer requests at once than asked, s.</summary>
    private const double ClientQueueLimitS = 0.01;
    /// <summary>The ipw process using more than this share of the machine's cores may be what limits throughput.</summary>
    private const double CpuShareLimit = 0.9;

    private readonly Distribution<double> _sendLag = new();
    private readonly Distribution<double> _clientQueue = new();
    private readonly Dictionary<int, (Distribution<double> Lag, int Sent)> _byWorker = [];
    private long _firstSend = long.MaxValue, _lastSend = long.MinValue;
    private int _sent;

    /// <summary>The latest end of a query seen (long.MinValue: none).</summary>
    public long LastEnd { get; private set; } = long.MinValue;

    public void Observe(MeasuredQuery q)
    {
        _sent++;
        LastEnd = Math.Max(LastEnd, q.End);
        _firstSend = Math.Min(_firstSend, q.Start);
        _lastSend = Math.Max(_lastSend, q.Start);
        if (q.SendLagS is { } lag) _sendLag.Add(lag);
        if (q.Worker is { } w)
        {
            var (workerLag, sent) = _byWorker.TryGetValue(w, out var seen) ? seen : (new Distribution<double>(), 0);
            if (q.SendLagS is { } l) workerLag.Add(l);
            _byWorker[w] = (workerLag, sent + 1);
        }
        _clientQueue.Add(q.ClientQueueS);
    }

    /// <summary>The section, for the measured span from <paramref name="measureStart"/> to <paramref name="measureEnd"/>.</summary>
    /// <param name="workers">The worker processes, with what each spent (null: this process sent the queries).</param>
    public LoadSection ToSection(long measureStart, long measureEnd, HarnessUsage harness, int maxInFlight, TimeSpan? maxDispatchBlock,
        IReadOnlyList<Workers.RemoteWorker>? workers = null, IReadOnlyList<Workers.WorkerTotals?>? totals = null)
    {
        var span = Stopwatch.GetElapsedTime(measureStart, measureEnd);
        var achieved = AchievedRate(measureStart);
        var cores = Environment.ProcessorCount;
        var cpuShare = span > TimeSpan.Zero ? harness.Cpu.TotalSeconds / span.TotalSeconds : (double?)null;
        var warnings = new List<string>();
        if (options.Rate is { } r && double.IsFinite(r))
        {
            var limit = Math.Max(SendLagLimitS, 0.1 / r);
            if (_sendLag.Percentile(99) is { } lag && lag > limit)
                warnings.Add($"the harness fell behind its schedule: send lag p99 {lag * 1000:F1} ms (limit {limit * 1000:F1} ms); the client, not the service, limited the rate");
            if (achieved is { } a && a < 0.99 * r)
                warnings.Add($"achieved {a:F2} requests/s of the {r} requested");
            // Workers get each query a lead ahead of its send time: only a hand-off longer than the lead delays a send.
            if (maxDispatchBlock is { } block && block.TotalSeconds > (workers is null ? DispatchBlockLimitS : Workers.WorkerPool.Lead.TotalSeconds))
                warnings.Add(workers is null
                    ? $"the client held the open-loop scheduler for up to {block.TotalMilliseconds:F1} ms per send (its SendAsync works before its first wait)"
                    : $"handing a query to a worker held the open-loop scheduler for up to {block.TotalMilliseconds:F1} ms, longer than the {Workers.WorkerPool.Lead.TotalMilliseconds:F0} ms lead");
        }
        var workerSections = workers?.Select((w, i) => Worker(w, totals?[i], span)).ToList();
        foreach (var w in workerSections ?? [])
        {
            if (w.Exit is not null) warnings.Add($"worker {w.Worker} went away ({w.Exit}); {w.Lost} queries it held were never sent");
            if (w.MaxDispatchBlockS is { } held && held > DispatchBlockLimitS)
                warnings.Add($"in worker {w.Worker}, the client held the scheduler for up to {held * 1000:F1} ms per send (its SendAsync works before its first wait)");
        }
        if (cpuShare is { } c && c > CpuShareLimit * cores)
            warnings.Add($"the ipw process used {c:F2} of {cores} cores: the client may be what limits throughput (this includes any in-process engine)");
        if ((options.Concurrency > 1 || options.Rate is not null) && _clientQueue.Percentile(99) is { } q && q > ClientQueueLimitS)
            warnings.Add($"requests waited inside the client before their first byte went out (p99 {q * 1000:F1} ms): new connections the server was slow to accept, or a client that serves fewer requests at once than asked");
        return new LoadSection
        {
            Mode = options.LoadMode,
            Concurrency = options.Rate is null ? options.Concurrency : null,
            RatePerS = options.Rate,
            Arrival = options.ArrivalName,
            Burstiness = options.Burstiness,
            DurationS = options.Duration?.TotalSeconds,
            PlannedQueries = planned,
            Sent = _sent,
            MeasuredSpanS = span.TotalSeconds,
            AchievedRatePerS = achieved,
            CompletedPerS = span > TimeSpan.Zero ? _sent / span.TotalSeconds : null,
            MaxInFlight = maxInFlight,
            Pauses = gate?.Pauses ?? 0,
            PausedS = gate?.Paused.TotalSeconds ?? 0,
            SendLagS = _sendLag.ToSummary(),
            ClientQueueS = _clientQueue.ToSummary(),
            Harness = new HarnessSection
            {
                ProcessCpuS = harness.Cpu.TotalSeconds,
                ProcessCpuCores = cpuShare,
                MaxDispatchBlockS = maxDispatchBlock?.TotalSeconds,
                LogicalCores = cores,
                GcCollections = harness.GcCollections,
                GcPauseS = harness.GcPause.TotalSeconds,
                AllocatedBytesPerQuery = _sent > 0 ? harness.AllocatedBytes / _sent : null,
                Note = workers is null
                    ? "CPU of the whole ipw process over the measured span, including any in-process engine"
                    : "CPU of the coordinating ipw process (schedule, telemetry, energy, records); each worker's own is under workers",
            },
            Workers = workerSections,
            Warnings = warnings,
        };
    }

    private WorkerSection Worker(Workers.RemoteWorker w, Workers.WorkerTotals? spent, TimeSpan span)
    {
        var (lag, sent) = _byWorker.TryGetValue(w.Id, out var seen) ? seen : (new Distribution<double>(), 0);
        return new WorkerSection
        {
            Worker = w.Id,
            Sent = sent,
            SendLagS = lag.ToSummary(),
            Lost = w.Lost,
            Exit = w.Exit,
            ClockUncertaintyS = w.Clock.UncertaintyS,
            ProcessCpuS = spent?.ProcessCpuS,
            ProcessCpuCores = spent is not null && span > TimeSpan.Zero ? spent.ProcessCpuS / span.TotalSeconds : null,
            GcCollections = spent?.GcCollections,
            GcPauseS = spent?.GcPauseS,
            AllocatedBytesPerQuery = spent is { Sent: > 0 } ? spent.AllocatedBytes / spent.Sent : null,
            MaxDispatchBlockS = spent?.MaxDispatchBlockS,
        };
    }

    /// <summary>The rate the service really received: sends over the time they took. A planned schedule of N sends spans
    /// N/R; sending later than that (the harness falling behind) stretches it. Time spent paused is not sending time.</summary>
    private double? AchievedRate(long measureStart)
    {
        // Every request at once (an infinite rate) has no rate to achieve.
        if (options.Rate is not { } rate || !double.IsFinite(rate) || _sent == 0) return null;
        var paused = gate?.Paused.TotalSeconds ?? 0;
        var toLastSend = Stopwatch.GetElapsedTime(measureStart, _lastSend).TotalSeconds - paused;
        return planned is { } n && n == _sent ? _sent / Math.Max(n / rate, toLastSend)
            : _sent > 1 ? (_sent - 1) / (Stopwatch.GetElapsedTime(_firstSend, _lastSend).TotalSeconds - paused) : null;
    }
}

/// <summary>What the ipw process itself spent over the measured span: CPU, GC and allocation.</summary>
internal sealed record HarnessUsage(TimeSpan Cpu, int GcCollections, TimeSpan GcPause, long AllocatedBytes)
{
    /// <summary>The counters now, to subtract from later.</summary>
    public static HarnessUsage Now() =>
        new(Environment.CpuUsage.TotalTime, GC.CollectionCount(0), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    /// <summary>What was spent since <paramref name="start"/>.</summary>
    public HarnessUsage Since(HarnessUsage start) =>
        new(Cpu - start.Cpu, GcCollections - start.GcCollections, GcPause - start.GcPause, AllocatedBytes - start.AllocatedBytes);
}
