using System.Diagnostics;
using Apache.Arrow;
using Ipw.Abstractions;
using Ipw.Core.Energy;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Session;
using Ipw.Core.Summary;

namespace Ipw.Core.Tests;

/// <summary>The parts of resuming a run: its options from summary.json, the earlier records' energy kept as it is, and
/// the run-long energy figures added up over the parts.</summary>
public sealed class ResumeTests
{
    private static readonly RunConfig Config = new()
    {
        Client = "openai",
        Model = "m",
        ClientBaseUrl = "http://host:8000/v1",
        ClientSettings = new() { ["header.Authorization"] = RunConfig.ValueNotRecorded, ["timeout"] = "30" },
        Dataset = "jsonl",
        DatasetPath = "items.jsonl",
        DatasetSettings = new() { ["repeat"] = "3" },
        MaxQueries = 12,
        MaxErrorRate = 0.05,
        MaxTokens = 64,
        Temperature = 0,
        Seed = 7,
        Warmup = 0,
        LoadMode = "open",
        Concurrency = 1,
        RatePerS = 2.5,
        Arrival = "gamma",
        Burstiness = 0.5,
        Percentiles = [50, 99.9],
        SloMs = new() { ["ttft"] = 200, ["e2el"] = 1500 },
        BaselineS = 2.5,
        Attribution = "phase",
        PrefillWeight = 3,
        SampleIntervalS = 0.02,
    };

    [Fact]
    public void The_options_come_back_from_the_config_with_the_header_given_again()
    {
        var o = ResumeArgs.From(Config, new ResumeOverrides
        {
            BaseUrl = "http://user:secret@host:8000/v1",
            ClientParams = new Dictionary<string, string> { ["header.Authorization"] = "Bearer k", ["timeout"] = "30" },
        }, "/runs/profile_x").ToOptions();
        Assert.Equal(("openai", "m", "http://user:secret@host:8000/v1"), (o.Client, o.Model, o.BaseUrl));
        Assert.Equal("Bearer k", o.ClientSettings["header.Authorization"]);
        Assert.Equal(("jsonl", "items.jsonl", "3"), (o.Dataset, o.DatasetPath, o.DatasetSettings["repeat"]));
        Assert.Equal((12, (int?)null, 0.05), (o.MaxQueries, o.MaxErrors, o.MaxErrorRate!.Value));
        Assert.Equal((64, 0.0, 7, 0), (o.MaxTokens, o.Temperature, o.Seed, o.Warmup));
        Assert.Equal((2.5, "gamma", 0.5), (o.Rate!.Value, o.ArrivalName, o.Burstiness!.Value));
        Assert.Equal([50, 99.9], o.Percentiles);
        Assert.Equal(0.2, o.Slo!.TtftS!.Value, 9);
        Assert.Equal(1.5, o.Slo.E2eS!.Value, 9);
        Assert.Equal((2.5, AttributionMethod.Phase, 3.0, 0.02), (o.Baseline.TotalSeconds, o.Attribution, o.PrefillWeight, o.SampleInterval.TotalSeconds));
        Assert.Equal("/runs", o.OutputDir);
    }

    [Fact]
    public void A_header_not_given_again_another_setting_or_another_address_is_refused_by_name()
    {
        var header = Assert.Throws<UserError>(() => ResumeArgs.From(Config, new ResumeOverrides(), "/runs/x"));
        Assert.Equal("--resume: the run sent header.Authorization, whose value is not recorded: give it again with --client-param header.Authorization=VALUE", header.Message);
        var withKey = new Dictionary<string, string> { ["header.Authorization"] = "k" };
        var setting = Assert.Throws<UserError>(() => ResumeArgs.From(Config,
            new ResumeOverrides { ClientParams = new Dictionary<string, string>(withKey) { ["timeout"] = "5" } }, "/runs/x"));
        Assert.Equal("--client-param timeout=5: the run used timeout=30, and a resumed run keeps its settings", setting.Message);
        var address = Assert.Throws<UserError>(() => ResumeArgs.From(Config, new ResumeOverrides { ClientParams = withKey, BaseUrl = "http://other:8000/v1" }, "/runs/x"));
        Assert.Contains("the run was measured against http://host:8000/v1", address.Message);
    }

    [Fact]
    public void Records_kept_from_before_pass_the_rewrite_unchanged_and_the_new_ones_get_their_final_energy()
    {
        var finaliser = new ActiveEnergyFinaliser();
        finaliser.KeepPrior(2);
        finaliser.Add(new AttributedEnergy(0, 100, 100, 1, 1, []) { WindowSeconds = 1, ShareMidT = 0, CounterPeriodS = 0.1 });
        var idle = new IdleSummary(new IdleMeasurement("before", 2, 120, 60, 0.5, 2) { MidT = 0, StandardErrorW = 0.1 }, null);
        Assert.Equal([40.0], finaliser.Close(idle).Active);

        using var kept = RecordSchema.Layout.Batch([
            QueryRecord.Of(RecordColumns.EnergyJ.With(7.0), RecordColumns.ActiveEnergyJ.With(3.0), RecordColumns.EnergyQuality.With("ok")),
            QueryRecord.Of(RecordColumns.EnergyJ.With(8.0), RecordColumns.ActiveEnergyJ.With(4.0), RecordColumns.EnergyQuality.With("ok"))]);
        Assert.Same(kept, finaliser.Rewrite(kept));
        using var fresh = RecordSchema.Layout.Batch([QueryRecord.Of(RecordColumns.ActiveEnergyJ.With(99.0), RecordColumns.EnergyQuality.With("ok"))]);
        Assert.Equal(40.0, ((DoubleArray)finaliser.Rewrite(fresh).Column(RecordColumns.ActiveEnergyJ.Name)).GetValue(0));
    }

    [Fact]
    public void The_run_long_energy_adds_the_parts_and_per_token_figures_use_every_token()
    {
        var now = new EnergySection
        {
            Available = true,
            GrossJ = 300,
            AttributedJ = 250,
            UnattributedJ = 50,
            MeasuredSpanS = 30,
            ActiveJ = 120,
            Finalised = true,
            ByCounter = [new CounterEnergy("rapl", "cpu0", "energy", 300, 10)],
        };
        var before = now with
        {
            GrossJ = 100,
            AttributedJ = 90,
            UnattributedJ = 10,
            MeasuredSpanS = 99,
            ActiveJ = 40,
            Finalised = false,
            ByCounter = [new CounterEnergy("rapl", "cpu0", "energy", 100, 10)]
        };
        var all = ResumedEnergy.Combine(now, new ResumedFrom(10, before, []), outputTokens: 800);
        Assert.Equal((400.0, 340.0, 60.0, 0.0), (all.GrossJ!.Value, all.AttributedJ!.Value, all.UnattributedJ!.Value, all.ConservationErrorJ!.Value));
        // The span is the earlier parts' from their records (10 s), not the one their last summary gave.
        Assert.Equal((40.0, 10.0), (all.MeasuredSpanS!.Value, all.AvgPowerW!.Value));
        Assert.Equal((160.0, 0.5, 0.2), (all.ActiveJ!.Value, all.JPerOutputToken!.Value, all.ActiveJPerOutputToken!.Value));
        Assert.Equal(400, Assert.Single(all.ByCounter!).J);
        Assert.False(all.Finalised);

        var without = ResumedEnergy.Combine(now, new ResumedFrom(10, before with { GrossJ = null }, []), outputTokens: 800);
        Assert.Null(without.GrossJ);
        Assert.Null(without.JPerOutputToken);
        Assert.Contains("an earlier part of the run has no energy", without.Reason);
    }
}
