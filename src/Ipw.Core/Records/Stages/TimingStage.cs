using System.Diagnostics;
using System.Globalization;
using Ipw.Abstractions;
using Ipw.Core.Profiling;

namespace Ipw.Core.Records.Stages;

/// <summary>Latencies from the stream's timeline (derived once, by <see cref="TimelineMetrics"/>) and the load's timing,
/// as seconds from the run's start on the monotonic clock.</summary>
internal sealed class TimingStage(long runStart, DateTimeOffset wallStart) : IRecordStage
{
    public RecordStage Stage => RecordStage.Timing;

    public void Fill(MeasuredQuery q, RecordBuilder r)
    {
        var result = q.Result;
        // Latencies run from the client's send (an in-process engine counts its queue as sent, as a server would);
        // what the client did before sending (a token count, a connection) is kept apart in client_queue_s.
        var timing = TimelineMetrics.From(result);
        var timings = result.ServerTimings;
        r.Set(RecordColumns.StartedAt, (wallStart + Stopwatch.GetElapsedTime(runStart, q.Start)).ToString("O", CultureInfo.InvariantCulture))
         .Set(RecordColumns.SentAtS, Seconds(Math.Max(q.Start, result.SentAt)))
         .Set(RecordColumns.CompletedAtS, Seconds(Math.Max(q.Start, result.CompletedAt)))
         .Set(RecordColumns.TtftS, timing.TtftS)
         .Set(RecordColumns.E2eLatencyS, timing.E2eS)
         .Set(RecordColumns.DecodeTokensPerS, timing.DecodeTokensPerS)
         .Set(RecordColumns.TpotS, timing.TpotS)
         .Set(RecordColumns.ItlP50S, timing.ItlP50S)
         .Set(RecordColumns.ItlP99S, timing.ItlP99S)
         .Set(RecordColumns.ItlS, timing.TokenGapsS)
         .Set(RecordColumns.ScheduledAtS, q.Scheduled is { } s ? Seconds(s) : null)
         .Set(RecordColumns.SendLagS, q.SendLagS)
         .Set(RecordColumns.InFlightAtSend, q.InFlight)
         .Set(RecordColumns.ClientQueueS, q.ClientQueueS)
         .Set(RecordColumns.ServerPromptEvalS, timings.TryGetValue("prompt_eval", out var pe) ? pe : null)
         .Set(RecordColumns.ServerEvalS, timings.TryGetValue("eval", out var ev) ? ev : null)
         .Set(RecordColumns.ServerLoadS, timings.TryGetValue("load", out var ld) ? ld : null)
         .Set(RecordColumns.StepStartedAtS, q.Steps?.Select(s => Seconds(s.Start)).ToArray());
    }

    private double Seconds(long t) => Stopwatch.GetElapsedTime(runStart, t).TotalSeconds;
}
