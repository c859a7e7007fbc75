using System.Diagnostics;
using Ipw.Core.Measurement;
using Ipw.Core.Plugins;
using Ipw.Core.Profiling;
using Ipw.Core.Runs;
using Ipw.Core.Summary;
using Ipw.Core.Telemetry;

namespace Ipw.Core.Serving;

/// <summary>
/// The server a run started for itself (<c>ipw profile --launch "COMMAND"</c>): started before the client looks for
/// it, ready when the client's own readiness wait (its health route, as <c>--wait-ready</c>) succeeds, stopped when the
/// run ends. Its start-up, from the launch to ready (loading the model included), is measured in a window of its own:
/// time and energy, with a telemetry session that ends before the run's begins, so none of it reaches a query. Its output
/// goes to server.log in the run folder. A server that exits during the run ends it (<see cref="OnExit"/>).
/// </summary>
public sealed class LaunchedServer : IAsyncDisposable
{
    /// <summary>How long a launched server may take to become ready when <c>--wait-ready</c> does not say.</summary>
    public static readonly TimeSpan DefaultReadyWait = TimeSpan.FromMinutes(10);

    /// <summary>How long a server has between SIGTERM and SIGKILL.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private readonly ServerProcess _process;
    private readonly CancellationTokenSource _exited = new();
    private readonly long _launched = Stopwatch.GetTimestamp();
    private TelemetrySession? _session;
    private readonly long _window;
    private LaunchSection _section;

    private LaunchedServer(ServerProcess process, TelemetrySession session)
    {
        _process = process;
        _session = session;
        _window = session.OpenWindow();
        _section = new LaunchSection(Redacted(process.Command), process.Pid);
        process.Exited.ContinueWith(_ => _exited.Cancel(), TaskScheduler.Default);
    }

    /// <summary>Starts the command, its output in a log beside the runs (<paramref name="outputRoot"/>) until the run
    /// folder exists.</summary>
    public static LaunchedServer Start(string command, string outputRoot, PluginRegistries registries, ProfileOptions options)
    {
        var log = Path.Combine(outputRoot, $"server-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
        var session = new TelemetrySession(TelemetrySources.Create(registries, options.TelemetrySources, options.TelemetryOptions),
            options.SampleInterval, start: false);
        session.Start(null); // sampled all along, so a counter that wraps during a long model load is followed
        try
        {
            // The window opens first: the launch itself is in it.
            var server = new LaunchedServer(ServerProcess.Start(command, log), session);
            return server;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public bool HasExited => _process.HasExited;
    public string LogPath => _process.LogPath;

    /// <summary>What summary.json's <c>launch</c> says so far.</summary>
    public LaunchSection Section => _section;

    /// <summary>A token cancelled when <paramref name="token"/> is, or when the server exits.</summary>
    public CancellationTokenSource UntilExit(CancellationToken token) => CancellationTokenSource.CreateLinkedTokenSource(token, _exited.Token);

    /// <summary>Whether the server has exited, or does within a moment (a failed readiness wait may be noticed before
    /// the exit is).</summary>
    public bool ExitedBy(TimeSpan wait) => _process.Exited.Wait(wait);

    /// <summary>The client found the server ready: the start-up window closes.</summary>
    public void Ready()
    {
        if (_session is not { } session) return;
        var stats = session.CloseWindow(_window);
        var map = new TelemetryMap(session);
        var energy = map.EnergyMetrics.Count > 0 ? TelemetryMap.Sum(stats.Delta, map.EnergyMetrics) : null;
        _section = _section with
        {
            ReadyS = Stopwatch.GetElapsedTime(_launched).TotalSeconds,
            StartEnergyJ = energy,
            EnergySource = energy is null ? null : map.EnergySource,
            EnergyMissing = energy is null ? map.EnergyMissingReason ?? "an energy counter could not be read" : null,
        };
        session.Dispose();
        _session = null;
    }

    /// <summary>The run folder exists: the log moves into it as server.log (the server writes on through its open file).</summary>
    public void MoveLogInto(RunStore run)
    {
        var moved = run.AdoptServerLog(_process.LogPath);
        _process.LogMovedTo(moved);
        _section = _section with { Log = Path.GetFileName(moved) };
    }

    /// <summary>Calls <paramref name="exited"/> with the exit code if the server exits before the registration is disposed.</summary>
    public CancellationTokenRegistration OnExit(Action<string> exited) =>
        _exited.Token.Register(() => exited(DiedMessage()));

    /// <summary>The server exited before it was ready: what it said last.</summary>
    public string ExitedBeforeReady() =>
        $"the launched server exited with code {ExitCode} before it was ready: {Said()} (its log: {_process.LogPath})";

    /// <summary>The server exited during the run.</summary>
    public string DiedMessage() =>
        $"the launched server exited with code {ExitCode} during the run: {Said()} (its log: {_process.LogPath})";

    private string ExitCode => _process.HasExited ? _process.Exited.Result.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";

    private string Said() => _process.Tail() is { Length: > 0 } tail ? $"it said \"{tail}\"" : "it wrote nothing";

    /// <summary>Stops the server (unless it already exited) and says how it ended.</summary>
    public async Task<LaunchSection> StopAsync()
    {
        var ended = _process.HasExited ? "exited by itself" : "stopped by ipw";
        var code = await _process.StopAsync(StopGrace).ConfigureAwait(false);
        _section = _section with { ExitCode = code, Ended = ended };
        return _section;
    }

    /// <summary>The command as it is recorded: the value of any option whose name is a secret's (<c>--api-key X</c>,
    /// <c>--hf-token=X</c>; <see cref="RunConfig.IsSecret"/>) replaced by <see cref="Redaction"/>.</summary>
    public static string Redacted(string command)
    {
        var words = command.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            if (!words[i].StartsWith('-')) continue;
            var equals = words[i].IndexOf('=');
            var name = (equals < 0 ? words[i] : words[i][..equals]).TrimStart('-');
            if (!RunConfig.IsSecret(name)) continue;
            if (equals >= 0) words[i] = words[i][..(equals + 1)] + Redaction;
            else if (i + 1 < words.Length) words[++i] = Redaction;
        }
        return string.Join(' ', words);
    }

    /// <summary>What a secret in a recorded command reads as.</summary>
    public const string Redaction = "(not recorded)";

    public async ValueTask DisposeAsync()
    {
        _session?.Dispose();
        if (!_process.HasExited) await _process.StopAsync(StopGrace).ConfigureAwait(false);
        _process.Dispose();
        _exited.Dispose();
    }
}
