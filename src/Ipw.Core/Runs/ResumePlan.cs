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
    /// <summary>The records kept, in the order they were written.</summary>
    public IReadOnlyList<QueryRecord> Kept { get; private set; }
    /// <summary>Cancelled records dropped: their items are sent again.</summary>
    public int CancelledDropped { get; }
    /// <summary>Item id by query index, for every item already recorded.</summary>
    public IReadOnlyDictionary<int, string> Done { get; }
    /// <summary>Where the run's clock stands: the earlier parts' duration, s (at least the last record's completion).</summary>
    public double PriorDurationS { get; }
    /// <summary>The earlier parts' measured spans added up (first send to last completion, part by part), s.</summary>
    public double? PriorMeasuredSpanS { get; }

    private ResumePlan(string folder, RunSummary prior, List<QueryRecord> kept, int dropped, double duration, double? span)
    {
        Folder = folder;
        Prior = prior;
        Kept = kept;
        CancelledDropped = dropped;
        var done = new Dictionary<int, string>();
        foreach (var r in kept) done.TryAdd((int)r.QueryIndex, r.ItemId);
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
        var kept = new List<QueryRecord>();
        var dropped = 0;
        var seen = new HashSet<long>();
        foreach (var r in RecordReader.Read(data))
        {
            if (r.Status == "cancelled" || !seen.Add(r.QueryIndex)) dropped++;
            else kept.Add(r);
        }
        var lastDone = kept.Select(r => r.CompletedAtS).Where(t => !double.IsNaN(t)).DefaultIfEmpty(0).Max();
        var duration = Math.Max(prior.DurationS ?? 0, lastDone);
        return new ResumePlan(folder, prior, kept, dropped, duration, MeasuredSpan(kept, prior.Resumes));
    }

    /// <summary>Each part's first send to its last completion, added up: the parts are told apart by where the clock stood
    /// at each resumption.</summary>
    private static double? MeasuredSpan(List<QueryRecord> kept, List<ResumeSection>? resumes)
    {
        if (kept.Count == 0) return null;
        var starts = (resumes ?? []).Select(r => r.PriorDurationS).Prepend(double.NegativeInfinity).Order().ToArray();
        double total = 0;
        foreach (var part in kept.GroupBy(r => Array.FindLastIndex(starts, s => (r.Get(RecordColumns.SentAtS) ?? 0) >= s)))
        {
            var first = part.Min(r => r.Get(RecordColumns.SentAtS) ?? double.NaN);
            var last = part.Max(r => r.CompletedAtS);
            if (last > first) total += last - first;
        }
        return total;
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
        new ResumeSection(DateTimeOffset.UtcNow.ToString("O"), Kept.Count, CancelledDropped, Prior.Status, PriorDurationS, PriorMeasuredSpanS)
        {
            PriorGrossJ = Prior.Energy?.GrossJ,
            PriorActiveJ = Prior.Energy?.ActiveJ,
        },
    ];

    /// <summary>Starts the new part's summary state from the kept records and what the earlier parts measured.</summary>
    internal void Seed(SummaryState state)
    {
        foreach (var r in Kept) state.Totals.AddPrior(r);
        state.ActiveEnergy.KeepPrior(Kept.Count);
        state.Prior = new ResumedFrom(PriorMeasuredSpanS, Prior.Energy, Resumes());
    }

    /// <summary>Lets the kept records go once they are in the new data file and the totals: a resumed part should not hold
    /// the earlier parts' records for its whole run.</summary>
    internal void Release() => Kept = [];
}
