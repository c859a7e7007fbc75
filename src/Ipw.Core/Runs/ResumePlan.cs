using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Summary;

namespace Ipw.Core.Runs;

/// <summary>
/// What resuming a run cut short needs (<c>ipw profile --resume RUN</c>): the run's summary (its config), the records to
/// keep, and the items already recorded, by query index (the item's place in the dataset, so its repeat and its seed) and
/// item id. Cancelled records (the queries in flight when the run was stopped) are dropped and their items sent again, so
/// every item ends up recorded once, however often the run is resumed. The run's clock continues from where the earlier
/// part ended: the time between parts is in no window, and each part's measured span is found from its records.
/// </summary>
public sealed class ResumePlan
{
    public string Folder { get; }
    /// <summary>summary.json as the earlier part left it.</summary>
    public RunSummary Prior { get; }
    /// <summary>The records kept (every one not cancelled, once per query index), as many as <see cref="Done"/> holds.</summary>
    public int KeptCount => Done.Count;
    /// <summary>Cancelled records dropped: their items are sent again.</summary>
    public int CancelledDropped { get; }
    /// <summary>Item id by query index, for every item already recorded.</summary>
    public IReadOnlyDictionary<int, string> Done { get; }
    /// <summary>Where the run's clock stands: the earlier parts' duration, s (at least the last record's completion).</summary>
    public double PriorDurationS { get; }
    /// <summary>The earlier parts' measured spans added up (first send to last completion, part by part), s.</summary>
    public double? PriorMeasuredSpanS { get; }

    private ResumePlan(string folder, RunSummary prior, Dictionary<int, string> done, int dropped, double duration, double? span)
    {
        Folder = folder;
        Prior = prior;
        CancelledDropped = dropped;
        Done = done;
        PriorDurationS = duration;
        PriorMeasuredSpanS = span;
    }

    /// <summary>Reads a run folder for resuming; a user error when it cannot or need not be resumed.</summary>
    public static ResumePlan Read(string folder)
    {
        folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(folder)) throw new UserError($"--resume: '{folder}': no such folder");
        var data = Path.Combine(folder, RunStore.DataFileName);
        if (!File.Exists(data) && !File.Exists(data + RunStore.SetAsideSuffix))
            throw new UserError($"--resume: '{folder}' is not a run folder (it has no {RunStore.DataFileName})");
        var summaryPath = Path.Combine(folder, RunStore.SummaryFileName);
        if (!File.Exists(summaryPath)) throw new UserError($"--resume: '{folder}' has no summary.json, so its options are unknown: `ipw repair {folder}` rebuilds it");
        var prior = SummaryFile.Read(summaryPath);
        if (RunState.IsLive(prior)) throw new UserError($"--resume: '{folder}' is still running (process {prior.Runner!.Pid}); resume a run once its process has ended");
        if (prior.Status == "completed") throw new UserError($"--resume: '{folder}' completed: there is nothing to resume");
        if (prior.Config is not { } config || config.Client is null || config.Dataset is null)
            throw new UserError($"--resume: '{folder}''s summary.json does not say how the run was made (no config); it cannot be resumed");
        if (config.DurationS is not null)
            throw new UserError($"--resume: '{folder}' was a --duration run, measured by time rather than by items: it cannot be resumed; start a new run");

        RunStore.RestoreSetAside(folder);
        RunRepair.CutTornBatch(data);
        var telemetry = Path.Combine(folder, RunStore.TelemetryFileName);
        if (File.Exists(telemetry)) RunRepair.CutTornBatch(telemetry);
        // Only what the plan needs is read here, a batch at a time: a resumed run of a million queries must not hold them.
        var done = new Dictionary<int, string>();
        var dropped = 0;
        var lastDone = 0.0;
        // Each part's first send and last completion: the parts are told apart by where the clock stood at each resumption.
        var starts = (prior.Resumes ?? []).Select(r => r.PriorDurationS).Prepend(double.NegativeInfinity).Order().ToArray();
        var spans = new (double First, double Last)[starts.Length];
        Array.Fill(spans, (double.PositiveInfinity, double.NegativeInfinity));
        foreach (var r in Kept(RecordReader.Read(data, PlanColumns), () => dropped++))
        {
            done[(int)r.QueryIndex] = r.ItemId;
            var sent = r.Get(RecordColumns.SentAtS) ?? 0;
            var completed = r.CompletedAtS;
            if (!double.IsNaN(completed)) lastDone = Math.Max(lastDone, completed);
            var part = Array.FindLastIndex(starts, s => sent >= s);
            spans[part] = (Math.Min(spans[part].First, sent), double.IsNaN(completed) ? spans[part].Last : Math.Max(spans[part].Last, completed));
        }
        var duration = Math.Max(prior.DurationS ?? 0, lastDone);
        double? span = done.Count == 0 ? null : spans.Where(p => p.Last > p.First).Sum(p => p.Last - p.First);
        return new ResumePlan(folder, prior, done, dropped, duration, span);
    }

    private static readonly RecordColumn[] PlanColumns =
        [RecordColumns.QueryIndex, RecordColumns.ItemId, RecordColumns.Status, RecordColumns.SentAtS, RecordColumns.CompletedAtS];

    /// <summary>The records a resumption keeps, in the order they were written: every one not cancelled, the first of each
    /// query index. <paramref name="onDropped"/> is told of each other one.</summary>
    internal static IEnumerable<QueryRecord> Kept(IEnumerable<QueryRecord> records, Action? onDropped = null)
    {
        var seen = new HashSet<long>();
        foreach (var r in records)
        {
            if (r.Status != "cancelled" && seen.Add(r.QueryIndex)) yield return r;
            else onDropped?.Invoke();
        }
    }

    /// <summary>Refuses a dataset whose items are not the ones the run recorded at their places (another file, other
    /// settings, another ipw's dataset): resuming would mix two workloads.</summary>
    public void CheckDataset(IDataset dataset, CancellationToken cancel)
    {
        if (Done.Count == 0) return;
        var last = Done.Keys.Max();
        var index = 0;
        foreach (var item in dataset.Items(cancel))
        {
            if (index > last) return;
            if (Done.TryGetValue(index, out var id) && id != item.Id)
                throw new UserError($"--resume: the dataset has changed since the run: item {index} is '{item.Id}' now, '{id}' in the run");
            index++;
        }
        if (index <= last) throw new UserError($"--resume: the dataset has {index} items now, but the run recorded item {last}");
    }

    /// <summary>Refuses a resumption on other hardware or against another model: the parts would not measure the same thing.</summary>
    public void CheckSame(string hardwareLabel, string model)
    {
        if (Prior.Hardware?.Label is { } hw && hw != hardwareLabel)
            throw new UserError($"--resume: the run was measured on {hw}; this machine is {hardwareLabel}");
        if (Prior.Model?.Label is { } m && m != model)
            throw new UserError($"--resume: the run measured model '{m}'; the service now serves '{model}'");
    }

    /// <summary>When the run started (the earlier part's start, as its summary says).</summary>
    public DateTimeOffset StartedAt(DateTimeOffset fallback) =>
        DateTimeOffset.TryParse(Prior.StartedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var t) ? t : fallback;

    /// <summary>This resumption, for summary.json (after those before it).</summary>
    public List<ResumeSection> Resumes() =>
    [
        .. Prior.Resumes ?? [],
        new ResumeSection(DateTimeOffset.UtcNow.ToString("O"), KeptCount, CancelledDropped, Prior.Status, PriorDurationS, PriorMeasuredSpanS)
        {
            PriorGrossJ = Prior.Energy?.GrossJ,
            PriorActiveJ = Prior.Energy?.ActiveJ,
        },
    ];

    /// <summary>Reopens the run folder (<see cref="RunStore.Resume"/>) and starts the new part's summary state from the
    /// kept records, as they are copied a batch at a time, and from what the earlier parts measured.</summary>
    internal RunStore Reopen(SummaryState state)
    {
        var kept = 0;
        var store = RunStore.Resume(Folder, r =>
        {
            state.Totals.AddPrior(r);
            kept++;
        });
        if (kept != KeptCount)
        {
            store.Dispose();
            throw new InvalidOperationException($"the resumed data file holds {kept} records, not the {KeptCount} kept");
        }
        state.ActiveEnergy.KeepPrior(kept);
        state.Prior = new ResumedFrom(PriorMeasuredSpanS, Prior.Energy, Resumes());
        return store;
    }
}
