using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Records;

/// <summary>
/// What measuring one query produced, before any column is derived: the item, the client's result, the monotonic
/// stamps of its window, the telemetry over that window and, once final, its attributed energy. The record stages
/// read only this.
/// </summary>
/// <param name="Index">Position of the query in the run.</param>
/// <param name="Item">The dataset item sent.</param>
/// <param name="Result">What the client returned (an error result when the client threw).</param>
/// <param name="End">Monotonic stamp when the client returned.</param>
/// <param name="Scheduled">Open loop: the stamp the query was due at; null in closed loop.</param>
/// <param name="InFlight">Requests in flight when it was sent, itself included.</param>
/// <param name="Window">Telemetry statistics over the query's window.</param>
/// <param name="Handle">The query's measurement window, for its energy share.</param>
internal sealed record MeasuredQuery(int Index, WorkloadItem Item, InferenceResult Result, long End, long? Scheduled, int InFlight,
    WindowStats Window, Measurement.QueryWindow Handle)
{
    /// <summary>Monotonic stamp when the query began (its window's start).</summary>
    public long Start => Handle.Start;

    /// <summary>Open loop: how late the harness sent it (actual − scheduled), s; null in closed loop.</summary>
    public double? SendLagS => Scheduled is { } due ? Stopwatch.GetElapsedTime(due, Start).TotalSeconds : null;

    /// <summary>Time inside the client before the request went out (a one-at-a-time engine's queue), s.</summary>
    public double ClientQueueS => Math.Max(0, Stopwatch.GetElapsedTime(Start, Result.SentAt).TotalSeconds);

    /// <summary>The conversation it is a turn of (<see cref="WorkloadItem.ReplayTurns"/>), and the turn from 1; null for a
    /// single query.</summary>
    public string? ConversationId { get; init; }
    public int? Turn { get; init; }

    /// <summary>How many user turns the conversation has; null for a single query.</summary>
    public int? ConversationTurns { get; init; }

    /// <summary>An agent's steps for the item (<c>--agent</c>), in order; null when no agent ran.</summary>
    public IReadOnlyList<Load.AgentStep>? Steps { get; init; }

    /// <summary>The worker process that sent it (<c>--workers</c>); null when this process did.</summary>
    public int? Worker { get; init; }

    /// <summary>The query's attributed energy; null when the run has no energy counter.</summary>
    public AttributedEnergy? Energy { get; init; }

    /// <summary>When the first chunk with text or reasoning arrived (null: none did).</summary>
    public long? FirstToken
    {
        get
        {
            foreach (var c in Result.Chunks)
                if (c.Kind != ChunkKind.Empty) return c.Timestamp;
            return null;
        }
    }
}
