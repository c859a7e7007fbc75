using System.Runtime.InteropServices;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Ipw.Core.Energy;
using Ipw.Core.Plugins;
using Ipw.Core.Profiling;
using Ipw.Core.Runs;
using Ipw.Testing;
using Ipw.TestServer;

namespace Ipw.Attribution;

/// <summary>
/// A scripted power trace whose per-request energy is known exactly. The NVML stand-in (a faithful NVML ABI,
/// since this machine has no GPU) draws a constant idle power and, on top, whatever load the test sets per
/// request; the test server sets each request's load as it enters prefill, writes its first token and
/// finishes. The stand-in integrates each request's own load: that is the truth the attributor is judged
/// against. The profiler runs in-process with the real HTTP client, energy backend and dataset plugins.
/// </summary>
public sealed class GroundTruth : IAsyncDisposable
{
    public const double IdleW = 60, PrefillW = 200, DecodeW = 80;

    private readonly IntPtr _setLoad, _slotEnergy;

    private static unsafe int SetLoad(IntPtr f, uint slot, double watts) => ((delegate* unmanaged<uint, double, int>)f)(slot, watts);
    private static unsafe double SlotEnergy(IntPtr f, uint slot) => ((delegate* unmanaged<uint, double>)f)(slot);
    private readonly string _root = Directory.CreateTempSubdirectory("ipw-attr-").FullName;

    public InferenceServer Server { get; }
    public PluginRegistries Registries { get; } = new();

    private GroundTruth(InferenceServer server, string library)
    {
        Server = server;
        var handle = NativeLibrary.Load(library);
        _setLoad = NativeLibrary.GetExport(handle, "ipwStandinSetLoad");
        _slotEnergy = NativeLibrary.GetExport(handle, "ipwStandinSlotEnergy");
        Registries.RegisterInProcess(new Ipw.Plugins.Http.HttpPlugin());
        Registries.RegisterInProcess(new Ipw.Plugins.Energy.EnergyPlugin());
        Registries.RegisterInProcess(new Ipw.Plugins.Datasets.DatasetsPlugin());
        var setLoad = _setLoad;
        server.PhaseHook = (n, phase) => SetLoad(setLoad, (uint)n, phase switch
        {
            ServerPhase.Prefill => PrefillW,
            ServerPhase.Decode => DecodeW,
            _ => 0,
        });
    }

    /// <param name="energyStepMs">How often the stand-in's energy counter publishes (real boards: tens of ms).</param>
    /// <param name="jitterMs">How far each publication strays from that grid, uniformly either way.</param>
    public static async Task<GroundTruth> StartAsync(string standinLibrary, double energyStepMs, double jitterMs = 0)
    {
        var config = Path.Combine(Path.GetTempPath(), $"ipw-attr-nvml-{Environment.ProcessId}.conf");
        File.WriteAllText(config, $"devices=1\nname=NVIDIA Ground Truth\npower_low_mw={IdleW * 1000}\npower_high_mw={IdleW * 1000}\n"
            + $"energy_step_ms={energyStepMs}\nenergy_jitter_ms={jitterMs}\n");
        NativeEnvironment.Set("IPW_NVML_STANDIN_CONFIG", config);
        NativeEnvironment.Set("IPW_NVML_LIBRARY", standinLibrary);
        Environment.SetEnvironmentVariable("IPW_NVML_LIBRARY", standinLibrary);
        var server = await InferenceServer.StartAsync();
        return new GroundTruth(server, standinLibrary);
    }

    /// <summary>One profile run at the given load; returns each query's relative error of active energy against the truth.</summary>
    /// <param name="observer">Sees the run's events (a test can change the trace when measuring starts).</param>
    /// <param name="baselineS">The idle windows before and after, s: at concurrency 1 their error is charged to every
    /// query whole (2 s windows on a 100 ms counter read to about ±0.4 W).</param>
    public async Task<RunResult> RunAsync(int concurrency, AttributionMethod method, int queries, int baseTokens = 45, int spread = 20,
        IProfileObserver? observer = null, double baselineS = 2)
    {
        Server.Behaviour = new Behaviour
        {
            CannedTokens = baseTokens,
            CannedTokensSpread = spread,
            FirstTokenDelay = TimeSpan.FromMilliseconds(150),
            InterChunkDelay = TimeSpan.FromMilliseconds(20),
            ExactTiming = false,
        };
        Server.Served.Clear();
        var options = new ProfileOptions
        {
            Client = "openai",
            BaseUrl = Server.BaseUrl.ToString(),
            Model = InferenceServer.ModelName,
            Dataset = "ipw",
            MaxQueries = queries,
            Concurrency = concurrency,
            Warmup = 0,
            Baseline = TimeSpan.FromSeconds(baselineS),
            TelemetrySources = ["nvml"],
            OutputDir = _root,
            MaxTokens = 128,
            Seed = 1000,
            Attribution = method,
            PrefillWeight = PrefillW / DecodeW,
            RunSuffix = $"c{concurrency}-{method}".ToLowerInvariant(),
        };
        var outcome = await new Profiler(Registries).RunAsync(options, observer);
        Check(outcome.Status == "completed", $"the run ended {outcome.Status}");

        // Truth per query: the request's own integrated load, found through the seed the client sent.
        var truth = new Dictionary<long, double>();
        foreach (var served in Server.Served)
        {
            var seed = JsonDocument.Parse(served.RequestJson).RootElement.GetProperty("seed").GetInt32();
            truth[seed - options.Seed] = SlotEnergy(_slotEnergy, (uint)served.Number);
        }
        var rows = ReadRecords(Path.Combine(outcome.RunPath, RunStore.DataFileName));
        var errors = new List<double>();
        var durations = new List<double>();
        var covered = 0;
        foreach (var (index, active, err, e2e, why) in rows)
        {
            Check(active is not null, $"query {index} has no active energy: {why}");
            var off = Math.Abs(active!.Value - truth[index]);
            errors.Add(off / truth[index]);
            if (err is { } e && off <= e) covered++;
            durations.Add(e2e);
        }
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outcome.RunPath, RunStore.SummaryFileName))).RootElement;
        return new RunResult(errors, durations, summary.GetProperty("energy").Clone(), outcome.RunPath) { Covered = (double)covered / rows.Count };
    }

    private static List<(long Index, double? Active, double? Err, double E2e, string Why)> ReadRecords(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ArrowStreamReader(stream);
        var rows = new List<(long, double?, double?, double, string)>();
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            var index = (Int64Array)batch.Column("query_index");
            var active = (DoubleArray)batch.Column("active_energy_j");
            var err = (DoubleArray)batch.Column("active_energy_j_err");
            var e2e = (DoubleArray)batch.Column("e2e_latency_s");
            var quality = (StringArray)batch.Column("energy_quality");
            var missing = (StringArray)batch.Column("energy_missing_reason");
            for (var i = 0; i < batch.Length; i++)
                rows.Add((index.GetValue(i)!.Value, active.GetValue(i), err.GetValue(i), e2e.GetValue(i)!.Value, $"{quality.GetString(i)}; {missing.GetString(i)}"));
        }
        return rows;
    }

    /// <summary>Idle power drifts: from now on the device draws <paramref name="watts"/> more with no request in flight.</summary>
    public void SetIdleDrift(double watts) => SetLoad(_setLoad, IdleDriftSlot, watts);

    /// <summary>A stand-in slot no request uses (requests take slots from 1 up).</summary>
    private const uint IdleDriftSlot = 4096;

    /// <summary>Shared by the tests and the benchmark, so no test framework here.</summary>
    public static void Check(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}

public sealed record RunResult(IReadOnlyList<double> Errors, IReadOnlyList<double> DurationsS, JsonElement Energy, string RunPath)
{
    /// <summary>The share of queries whose error lies within their own <c>active_energy_j_err</c>.</summary>
    public double Covered { get; init; }

    public double Median => Percentile(0.5);

    /// <summary>The error at quantile <paramref name="q"/> (0–1), by the project's one percentile definition.</summary>
    public double Percentile(double q) => Ipw.Abstractions.Statistics.Percentile(Errors.Order().ToArray(), q * 100);
}
