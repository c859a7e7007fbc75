using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Profiling;

namespace Ipw.Core.Load;

/// <summary>Hands out the workload's items with their query index, thread-safely: stops at the planned count, or when the
/// run's duration (less time spent paused) is up; a timed run cycles the dataset to fill its duration. A resumed run
/// passes over the items already recorded (<paramref name="done"/>, by query index), which keep their index.</summary>
internal sealed class ItemSource(ProfileOptions options, IDataset dataset, SendGate? gate, IReadOnlyDictionary<int, string>? done = null)
{
    private readonly Lock _lock = new();
    private IEnumerator<WorkloadItem>? _items;
    private CancellationToken _sending, _abort;
    private long _measureStart;
    private int _next, _handedOut;

    /// <summary>Queries the run (this part of it, when resumed) will measure, when known in advance.</summary>
    public int? Planned { get; } = PlannedQueries(options, dataset) - (done?.Count ?? 0);

    /// <summary>Queries a run with these options will measure, when known in advance.</summary>
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

    public void Start(long measureStart, CancellationToken sending, CancellationToken abort)
    {
        _measureStart = measureStart;
        _sending = sending;
        _abort = abort;
        _items = dataset.Items(abort).GetEnumerator();
    }

    public bool TryNext(out int index, out WorkloadItem item)
    {
        lock (_lock)
        {
            index = -1;
            item = null!;
            if (_sending.IsCancellationRequested || _items is null) return false;
            if (Planned is { } p && _handedOut >= p) return false;
            if (options.Duration is { } d && Stopwatch.GetElapsedTime(_measureStart) - (gate?.Paused ?? TimeSpan.Zero) >= d) return false;
            while (true)
            {
                if (!_items.MoveNext())
                {
                    if (options.Duration is null) return false;
                    _items.Dispose();
                    _items = dataset.Items(_abort).GetEnumerator();
                    if (!_items.MoveNext()) return false;
                }
                var position = _next++;
                if (done?.ContainsKey(position) == true) continue; // recorded before the run was resumed
                index = position;
                item = _items.Current;
                _handedOut++;
                return true;
            }
        }
    }
}
