using Ipw.Core.Plugins;
using Ipw.Core.Profiling;
using Ipw.Core.Scoring;

namespace Ipw.Core.Session;

/// <summary>What a profile session produced: the run, and the judge's grading when a judge was asked for.</summary>
/// <param name="JudgeModel">The judge's model label (null: no judge ran).</param>
public sealed record SessionOutcome(ProfileOutcome Run, ScoreOutcome? Judged, string? JudgeModel);

/// <summary>
/// The one way every front end (the CLI, the run monitor, scripts) runs a profile: the profiler (which checks the
/// options), then, when a judge is given, the answers graded by it after the measurement, so the judge's inference is
/// never counted as the model's.
/// </summary>
public sealed class ProfileSession(PluginRegistries registries)
{
    /// <param name="stop">Graceful stop: no new query is sent; the ones in flight complete and are kept.</param>
    /// <param name="abort">Hard stop: the queries in flight are cancelled (and recorded as cancelled).</param>
    /// <param name="gate">Pauses and resumes sending while the run goes on.</param>
    /// <param name="resume">A run cut short, continued in its own folder (<see cref="ResumeArgs"/> makes its options).</param>
    public async Task<SessionOutcome> RunAsync(ProfileOptions options, IProfileObserver? observer = null, JudgeSettings? judge = null,
        CancellationToken stop = default, CancellationToken abort = default, SendGate? gate = null, Runs.ResumePlan? resume = null)
    {
        var outcome = await new Profiler(registries).RunAsync(options, observer, stop, abort, gate, resume).ConfigureAwait(false);
        if (judge is null || outcome.Queries == 0 || abort.IsCancellationRequested) return new SessionOutcome(outcome, null, null);
        await using var model = await Judge.CreateAsync(judge, registries, abort).ConfigureAwait(false);
        var scored = await RunScorer.RescoreAsync(outcome.RunPath, new GraderSet(registries), null, model, abort, judge.BaselineRun is { } b ? Path.GetFullPath(b) : null)
            .ConfigureAwait(false);
        return new SessionOutcome(outcome, scored, model.Model);
    }
}
