using System.Globalization;
using Ipw.Core;
using Ipw.Core.Profiling;
using Ipw.Core.Runs;
using Ipw.Core.Scoring;
using Ipw.Core.Session;

namespace Ipw.Cli;

/// <summary>How a profile is shown: the progress mode (auto, bar, plain, none, tui) and whether stdout gets the summary
/// as JSON (<c>--json</c>: progress and the report then go to stderr, so stdout is one JSON document).</summary>
internal sealed record Display(string Progress, bool Json);

/// <summary>Runs what <c>ipw profile</c> parsed: one run or a sweep, shown as the <see cref="Display"/> says, with its exit code.</summary>
internal static class ProfileRun
{
    public static async Task<int> SweepAsync(ProfileOptions template, SweepAxis axis, IReadOnlyList<double> values, Display display)
    {
        using var json = JsonStdout.Begin(display.Json);
        // Every point is checked before the plugins load or a request is sent.
        SweepRunner.Points(template, axis, values);
        var registries = PluginLoading.Load();
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        using var interrupts = Interrupts.Install(stop, abort, "stopping after the queries in flight (Ctrl-C again to cancel them)");
        var mode = display.Progress == "auto" ? "plain" : display.Progress;
        template = template with { FrontEnd = mode };
        var outcome = await new SweepRunner(registries).RunAsync(template, axis, values,
            p => mode == "none" ? null : new PlainProgress($"[{(axis == SweepAxis.Concurrency ? $"concurrency {p.Concurrency}" : $"rate {p.Rate}/s")}] "),
            stop.Token, abort.Token);
        foreach (var point in outcome.Points) RunReport.Print(point, Console.Out);
        Console.WriteLine($"sweep {outcome.Status}: {outcome.Points.Count} of {values.Count} points; summary in {Path.Combine(outcome.SweepPath, SweepRunner.SweepFileName)}");
        json.Write(Path.Combine(outcome.SweepPath, SweepRunner.SweepFileName));
        if (outcome.Status == "interrupted") return interrupts.ExitCode(130);
        return outcome.Points.Any(p => p.Status != "completed") ? 1 : 0;
    }

    public static async Task<int> RunAsync(ProfileOptions options, Display display, JudgeSettings? judge, ResumePlan? resume = null)
    {
        if (display.Json && display.Progress == "tui") throw new UserError("--json prints the summary on stdout, where --tui draws: choose one");
        using var json = JsonStdout.Begin(display.Json);
        var registries = PluginLoading.Load();
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        using var interrupts = Interrupts.Install(stop, abort, options.LoadMode == "sequential"
            ? "stopping after the query in flight (Ctrl-C again to cancel it)"
            : "stopping after the queries in flight (Ctrl-C again to cancel them)");
        var mode = display.Progress == "auto" ? (Console.IsOutputRedirected || display.Json ? "plain" : "bar") : display.Progress;
        if (mode == "tui" && TuiProfile.NoTerminalReason() is { } why)
        {
            Console.Error.WriteLine($"ipw: --tui needs a terminal ({why}); showing plain progress instead");
            mode = "plain";
        }
        options = options with { FrontEnd = mode };
        var session = new ProfileSession(registries);
        var stoppedInTui = false;
        SessionOutcome result;
        if (mode == "tui")
            (result, stoppedInTui) = TuiProfile.Run((o, s, a, gate) => session.RunAsync(options, o, judge, s, a, gate, resume), abort);
        else
            result = mode == "bar"
                ? await ConsoleProgress.RunWithBarAsync(o => session.RunAsync(options, o, judge, stop.Token, abort.Token, resume: resume))
                : await session.RunAsync(options, mode == "plain" ? new PlainProgress() : null, judge, stop.Token, abort.Token, resume: resume);
        var outcome = result.Run;
        RunReport.Print(outcome, Console.Out);
        if (result.Judged is { } o)
        {
            var accuracy = o.Graded > 0 ? ((double)o.Correct / o.Graded).ToString("P1", CultureInfo.InvariantCulture) : "n/a";
            Console.WriteLine($"judged by {result.JudgeModel}: {o.Graded} graded, {o.Correct} correct ({accuracy})");
        }
        if (stoppedInTui)
        {
            Console.WriteLine($"stopped from the monitor after {outcome.Queries} queries; the run is saved in {outcome.RunPath}");
            return 0;
        }
        if (File.Exists(Path.Combine(outcome.RunPath, RunStore.SummaryFileName))) json.Write(Path.Combine(outcome.RunPath, RunStore.SummaryFileName));
        if (outcome.Status is "interrupted" or "aborted") Console.WriteLine($"to finish it: ipw profile --resume {outcome.RunPath}");
        if (outcome.Status == "interrupted") return interrupts.ExitCode(130);
        if (outcome.Status == "aborted")
        {
            Console.Error.WriteLine($"ipw: error: {outcome.Failure ?? $"stopped after {outcome.Errors} failed queries"}; completed queries are saved in {outcome.RunPath}");
            return 1;
        }
        if (outcome.Queries > 0 && outcome.Errors == outcome.Queries)
        {
            Console.Error.WriteLine($"ipw: error: all {outcome.Queries} queries failed; see the 'error' column in {outcome.RunPath}");
            return 1;
        }
        return 0;
    }
}

/// <summary><c>--json</c>: while a profile runs, what it prints goes to stderr; stdout gets only the one JSON document.</summary>
internal sealed class JsonStdout : IDisposable
{
    private readonly TextWriter? _stdout;

    private JsonStdout(TextWriter? stdout) => _stdout = stdout;

    public static JsonStdout Begin(bool json)
    {
        if (!json) return new JsonStdout(null);
        var stdout = Console.Out;
        Console.SetOut(Console.Error);
        return new JsonStdout(stdout);
    }

    /// <summary>Writes the file (summary.json, sweep.json) to stdout, once.</summary>
    public void Write(string file)
    {
        if (_stdout is null) return;
        _stdout.Write(File.ReadAllText(file).TrimEnd());
        _stdout.WriteLine();
        _stdout.Flush();
    }

    public void Dispose()
    {
        if (_stdout is not null) Console.SetOut(_stdout);
    }
}
