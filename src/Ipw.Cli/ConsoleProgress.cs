using System.Diagnostics;
using Ipw.Core.Profiling;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Spectre.Console;

namespace Ipw.Cli;

/// <summary>The terminal progress bar (Spectre.Console), fed by the pipeline's progress events.</summary>
internal static class ConsoleProgress
{
    public static async Task<T> RunWithBarAsync<T>(Func<IProfileObserver, Task<T>> run)
    {
        T? outcome = default;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var observer = new BarObserver(ctx);
                outcome = await run(observer);
            });
        return outcome!;
    }

    private sealed class BarObserver(ProgressContext ctx) : IProfileObserver
    {
        private ProgressTask? _task;

        public void OnStarted(ProfileStarted s)
        {
            AnsiConsole.MarkupLine($"[bold]ipw profile[/] {Markup.Escape(s.Client)} · {Markup.Escape(s.Model)} · {Markup.Escape(s.Dataset)} · {Markup.Escape(s.Hardware)}");
            if (s.ClientAddress is { } address) AnsiConsole.MarkupLine($"  client: {Markup.Escape(address)}");
            AnsiConsole.MarkupLine($"  energy: {Markup.Escape(s.EnergyStatus)}");
            AnsiConsole.MarkupLine($"  run:    {Markup.Escape(s.RunPath)}");
            _task = ctx.AddTask("warming up", maxValue: s.Total ?? 1);
        }

        public void OnWarmup(int done, int total)
        {
            if (_task is not null) _task.Description = $"warm-up {done}/{total}";
        }

        public void OnPhase(string description)
        {
            if (_task is not null) _task.Description = description;
        }

        public void OnQueryCompleted(QueryRecord record, ProfileProgress p)
        {
            if (_task is null) return;
            if (p.Total is null) _task.MaxValue = p.Done + 1;
            _task.Value = p.Done;
            _task.Description = $"{p.Done}/{p.Total?.ToString() ?? "?"} queries · {p.Errors} errors · output {p.TokensPerSecond:F0} tok/s";
        }

        public void OnFinished(ProfileOutcome outcome)
        {
            if (_task is not null && outcome.Status == "completed") _task.Value = _task.MaxValue;
            _task?.StopTask();
        }
    }
}

/// <summary>Plain progress lines for logs and pipes: at most one a second, plus the first and last.</summary>
internal sealed class PlainProgress(string prefix = "") : IProfileObserver
{
    private long _last;

    public void OnStarted(ProfileStarted s)
    {
        Console.WriteLine($"{prefix}ipw profile: client {s.Client}, model {s.Model}, dataset {s.Dataset}, hardware {s.Hardware}");
        if (s.ClientAddress is { } address) Console.WriteLine($"  client: {address}");
        Console.WriteLine($"  energy: {s.EnergyStatus}");
        Console.WriteLine($"  run: {s.RunPath}");
    }

    public void OnWarmup(int done, int total) => Console.WriteLine($"  warm-up {done}/{total}");

    private bool _measuring;

    public void OnMeasuring() => _measuring = true;

    /// <summary>The first phase once measuring is the load: said as what is being measured.</summary>
    public void OnPhase(string description)
    {
        Console.WriteLine(_measuring ? $"  measuring: {description}" : $"  {description}");
        _measuring = false;
    }

    public void OnQueryCompleted(QueryRecord record, ProfileProgress p)
    {
        var now = Stopwatch.GetTimestamp();
        if (p.Done != 1 && p.Done != p.Total && Stopwatch.GetElapsedTime(_last, now) < TimeSpan.FromSeconds(1)) return;
        _last = now;
        var eta = p.Eta is { } e ? $", eta {e:hh\\:mm\\:ss}" : "";
        Console.WriteLine($"  {prefix}[{p.Done}/{p.Total?.ToString() ?? "?"}] errors {p.Errors}, output {p.TokensPerSecond:F0} tok/s, elapsed {p.Elapsed:hh\\:mm\\:ss}{eta}");
    }
}
