using System.CommandLine;
using Ipw.Core.Runs;

namespace Ipw.Cli;

/// <summary><c>ipw repair RUN...</c>: mend runs cut short (killed, SIGKILL, a full disk) so score, analyze and plot read them.</summary>
internal static class RepairCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "run folders (profile_*)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("repair", "Mend runs that were cut short: cut a torn last batch, rebuild summary.json from the records") { runs };
        command.SetAction(parse =>
        {
            foreach (var run in parse.GetValue(runs)!)
            {
                var o = RunRepair.Repair(Path.GetFullPath(run));
                Console.WriteLine(!o.Repaired
                    ? $"{run}: whole ({o.Status}, {o.Records} records); nothing to repair"
                    : $"{run}: repaired ({o.Status}): {o.Records} records kept" +
                      (o.DataBytesCut > 0 ? $", a torn last batch of {o.DataBytesCut} bytes cut from the data file" : "") +
                      (o.TelemetryBytesCut > 0 ? $", {o.TelemetryBytesCut} bytes from telemetry.arrow" : "") +
                      "; summary.json rebuilt from the records");
            }
            return 0;
        });
        return command;
    }
}
