using System.CommandLine;
using System.Globalization;
using Ipw.Core;
using Ipw.Core.Workers;

namespace Ipw.Cli;

/// <summary><c>ipw worker --connect HOST:PORT</c>: one load worker of an <c>ipw profile --workers N</c> (which starts its
/// own on this machine; this command is for workers elsewhere, see docs/scale-out.md).</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var connect = new Option<string>("--connect") { Description = "the coordinator's host:port (its --workers-listen)", Required = true };
        var id = new Option<int?>("--id") { Description = "this worker's number, 0 to N-1 (default: JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets it, else 0)" };
        var wait = new Option<string>("--connect-timeout") { Description = "keep trying to reach the coordinator this long, e.g. 60s", DefaultValueFactory = _ => "60s" };
        var command = new Command("worker", "Send queries for a coordinating 'ipw profile --workers N --workers-listen HOST:PORT' (one worker of a scaled-out run)")
        {
            connect, id, wait,
        };
        command.SetAction(async (parse, cancel) =>
        {
            var address = parse.GetValue(connect)!;
            var colon = address.LastIndexOf(':');
            if (colon < 1 || !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new UserError($"--connect must be host:port, got '{address}'");
            var index = parse.GetValue(id)
                ?? (int.TryParse(Environment.GetEnvironmentVariable("JOB_COMPLETION_INDEX"), NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : 0);
            var connectFor = Durations.Parse("--connect-timeout", parse.GetValue(wait)!, allowZero: true);
            return await Worker.RunAsync(PluginLoading.Load(), address[..colon].Trim('[', ']'), port, index, connectFor, cancel);
        });
        return command;
    }
}
