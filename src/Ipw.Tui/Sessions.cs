using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Ipw.Abstractions;
using Ipw.Core;
using Ipw.Core.Analysis;
using Ipw.Core.Profiling;

namespace Ipw.Tui;

/// <summary>
/// A profile run watched live: the pipeline runs on a background thread and reports through a
/// <see cref="MonitorObserver"/>; <c>q</c> is the graceful stop (the same as a first Ctrl-C without the TUI), a
/// second <c>q</c> the hard one, and <c>p</c> pauses sending through a <see cref="SendGate"/>.
/// </summary>
public sealed class LiveProfileSession : MonitorSession, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly SendGate _gate = new();
    private readonly MonitorObserver _observer;
    private readonly Task<ProfileOutcome> _run;

    /// <param name="run">Starts the profile: observer, stop, abort and the send gate to use.</param>
    public LiveProfileSession(MonitorModel model, Func<IProfileObserver, CancellationToken, CancellationToken, SendGate, Task<ProfileOutcome>> run)
    {
        _observer = new MonitorObserver(model);
        _run = Task.Run(() => run(_observer, _stop.Token, _abort.Token, _gate));
    }

    /// <summary>The run, for its outcome or its exception once the monitor closes.</summary>
    public Task<ProfileOutcome> Run => _run;

    /// <summary>Whether the user stopped the run from the monitor.</summary>
    public bool StoppedByUser => _stop.IsCancellationRequested;

    public override bool Finished => _run.IsCompleted;

    /// <summary>A run that failed (a bad option, an unreachable server) closes the monitor so the error can be shown.</summary>
    public override bool ExitWhenFinished => _run.IsFaulted || _run.IsCanceled;

    public override string StoppingText => "stopping: no new queries; waiting for those in flight, then saving";

    public override bool CanPause => true;

    public override void Stop() => _stop.Cancel();

    public override void Abort() => _abort.Cancel();

    public override bool? TogglePause() => _gate.Toggle();

    public override void Tick() => _observer.PollTelemetry();

    public void Dispose()
    {
        _stop.Dispose();
        _abort.Dispose();
    }
}

/// <summary>
/// A finished run in the monitor: browsed (everything at once, charts over the whole run) or replayed in time
/// at <c>speed</c> times real time from its records and telemetry.arrow.
/// </summary>
public sealed class RunReplaySession : MonitorSession, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ManualResetEventSlim _running = new(true);
    private readonly bool _browse;
    private Task? _replay;

    private RunReplaySession(bool browse) => _browse = browse;

    /// <summary>Opens the run folder (a clear error when it is not one) and fills <paramref name="model"/>.</summary>
    /// <param name="speed">Null: browse; otherwise replay this many times faster than the run happened.</param>
    public static RunReplaySession Open(string directory, MonitorModel model, double? speed)
    {
        var view = RunView.Open(directory);
        var rows = Rows(view);
        var (metrics, samples) = Samples(view);
        // An interrupted run's total is what it planned, not what it recorded.
        Header(view, model, view.Summary.Load?.PlannedQueries ?? rows.Count);
        model.DeclareMetrics(metrics.Values.ToList());
        if (speed is null)
        {
            foreach (var (t, m, v) in samples) model.AddSample(t, metrics[m], v);
            foreach (var r in rows) model.Add(r);
            var span = rows.Count > 0 ? rows.Max(r => r.CompletedAtS) - rows.Min(r => r.CompletedAtS - r.E2eS) : 0;
            model.SetClock(() => TimeSpan.FromSeconds(span));
            model.Finish(view.Summary.Status, view.Directory);
            return new RunReplaySession(browse: true);
        }
        var clock = new ReplayClock(speed.Value);
        model.SetClock(() => TimeSpan.FromSeconds(clock.Now));
        model.Steps.Speed = speed.Value;
        var session = new RunReplaySession(browse: false);
        session._replay = Task.Run(() => session.Replay(model, view, rows, metrics, samples, clock));
        return session;
    }

    public override bool Finished => _browse || _replay!.IsCompleted;

    public override string StoppingText => "ending the replay";

    public override bool CanPause => !_browse;

    public override double? ChartSpan => _browse ? null : 300;

    public override void Stop() => _stop.Cancel();

    public override bool? TogglePause()
    {
        if (_browse) return null;
        if (_running.IsSet) _running.Reset();
        else _running.Set();
        return !_running.IsSet;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _running.Set();
        try { _replay?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
        _running.Dispose();
    }

    private void Replay(MonitorModel model, RunView view, List<MonitorRow> rows, Dictionary<string, MonitorMetric> metrics,
        List<(double T, string Metric, double V)> samples, ReplayClock clock)
    {
        var start = Math.Min(rows.Count > 0 ? rows.Min(r => r.CompletedAtS - r.E2eS) : 0, samples.Count > 0 ? samples[0].T : 0);
        var steps = ReplaySteps.Read(view);
        model.SetPhase("replaying");
        int r = 0, s = 0;
        while (r < rows.Count || s < samples.Count)
        {
            if (_stop.IsCancellationRequested) return;
            if (!_running.IsSet)
            {
                clock.Pause();
                model.SetPhase("replay paused");
                _running.Wait(_stop.Token);
                clock.Resume();
                model.SetPhase("replaying");
            }
            var now = start + clock.Now;
            while (s < samples.Count && samples[s].T <= now)
            {
                model.AddSample(samples[s].T, metrics[samples[s].Metric], samples[s].V);
                s++;
            }
            steps.Advance(now, model.Steps);
            while (r < rows.Count && rows[r].CompletedAtS <= now) model.Add(rows[r++]);
            _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(50));
        }
        model.Finish(view.Summary.Status, view.Directory);
    }

    private static void Header(RunView view, MonitorModel model, int count)
    {
        var s = view.Summary;
        var config = s.Config;
        var load = Core.Load.LoadText.Describe(config?.LoadMode, config?.Concurrency, config?.RatePerS, config?.Arrival, config?.Burstiness);
        var energy = s.Energy is { Available: true } e
            ? $"energy from {e.Source}" + (e.TotalJ is { } tj ? $", {tj} J in total" : "")
            : s.Telemetry?.Sources is { Count: > 0 } ? "not measured (each source's reason below)" : $"not measured: {s.Energy?.Reason}";
        var sources = new List<(string, string)>();
        foreach (var src in s.Telemetry?.Sources ?? [])
            sources.Add((src.Name, Core.Telemetry.SourceVerdict.Describe(src.Available, src.Reason, src.Metrics.Select(m => m.Kind), src.Method,
                src.Missing.Select(m => m.Kind))));
        model.UseRunFigures(s.Serving);
        model.Start(s.Client?.Name ?? config?.Client ?? "?", s.Model?.Label ?? "?", s.Dataset?.Identity ?? config?.Dataset ?? "?",
            s.Hardware?.Label ?? "?", view.Directory, count, load, energy, sources);
    }

    /// <summary>The records in the order they completed.</summary>
    private static List<MonitorRow> Rows(RunView view)
    {
        double[]? Col(RecordColumn c) => view.Columns.Contains(c.Name) ? view.Numbers(c.Name) : null;
        IReadOnlyList<string?>? Texts(RecordColumn c) => view.Columns.Contains(c.Name) ? view.Texts(c.Name) : null;
        var n = (int)view.RecordCount;
        var index = Col(RecordColumns.QueryIndex);
        var ttft = Col(RecordColumns.TtftS);
        var tpot = Col(RecordColumns.TpotS);
        var e2e = Col(RecordColumns.E2eLatencyS);
        var input = Col(RecordColumns.InputTokens);
        var output = Col(RecordColumns.OutputTokens);
        var tps = Col(RecordColumns.DecodeTokensPerS);
        var energy = Col(RecordColumns.EnergyJ);
        var power = Col(RecordColumns.AvgPowerW);
        var correct = Col(RecordColumns.Correct);
        var completed = Col(RecordColumns.CompletedAtS);
        var subject = Texts(RecordColumns.Subject);
        var status = Texts(RecordColumns.Status);
        var error = Texts(RecordColumns.Error);
        static double? At(double[]? a, int i) => a is not null && !double.IsNaN(a[i]) ? a[i] : null;
        var rows = new List<MonitorRow>(n);
        for (var i = 0; i < n; i++)
        {
            rows.Add(new MonitorRow((long)(At(index, i) ?? i), subject?[i], At(ttft, i), At(e2e, i) ?? double.NaN,
                At(input, i) is { } it ? (long)it : null, At(output, i) is { } ot ? (long)ot : null, At(tps, i), At(energy, i), At(power, i),
                At(correct, i) is { } c ? c != 0 : null, status?[i] ?? "ok", error?[i], At(completed, i) ?? 0)
            { TpotS = At(tpot, i) });
        }
        rows.Sort((a, b) => a.CompletedAtS.CompareTo(b.CompletedAtS));
        return rows;
    }

    /// <summary>telemetry.arrow's samples in time order, with each metric's kind and device from summary.json.</summary>
    private static (Dictionary<string, MonitorMetric>, List<(double, string, double)>) Samples(RunView view)
    {
        var declared = new Dictionary<string, MonitorMetric>(StringComparer.Ordinal);
        foreach (var src in view.Summary.Telemetry?.Sources ?? [])
        {
            foreach (var m in src.Metrics)
            {
                if (!Enum.TryParse<MetricKind>(m.Kind, ignoreCase: true, out var kind)) continue;
                declared[m.Name] = new MonitorMetric(m.Name, m.Device, kind, m.Unit);
            }
        }
        var samples = new List<(double, string, double)>();
        foreach (var series in view.Telemetry())
        {
            if (!declared.ContainsKey(series.Metric)) continue;
            for (var i = 0; i < series.TimesS.Length; i++) samples.Add((series.TimesS[i], series.Metric, series.Values[i]));
        }
        samples.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return (declared, samples);
    }

    /// <summary>Replay time: real time times the speed, stopped while paused.</summary>
    private sealed class ReplayClock(double speed)
    {
        private readonly Stopwatch _watch = Stopwatch.StartNew();

        public double Now => _watch.Elapsed.TotalSeconds * speed;

        public void Pause() => _watch.Stop();

        public void Resume() => _watch.Start();
    }
}
