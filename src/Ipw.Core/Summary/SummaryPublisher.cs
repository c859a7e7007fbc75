using System.Diagnostics;
using Ipw.Core.Runs;

namespace Ipw.Core.Summary;

/// <summary>Writes the run's summary as it stands to summary.json, through the run store.</summary>
internal sealed class SummaryPublisher(RunSummaryBuilder builder, SummaryState state, RunStore run, long runStart)
{
    public SummaryState State => state;

    public void Publish(string status) => Publish(status, Stopwatch.GetElapsedTime(runStart));

    public void Publish(string status, TimeSpan elapsed) => run.WriteSummary(builder.Build(status, run.RecordsWritten, elapsed));
}
