using System.Diagnostics;
using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>Multi-turn replay (<c>turns=all</c>) through the real binary against the test server: each turn is a query of
/// its own, sent with the model's own earlier answers, after the think time.</summary>
public sealed class ConversationEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();

    private const string Conversations = """
        [
          {"id": "c1", "conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "Name a colour."},
            {"from": "gpt", "value": "RECORDED-1"}, {"from": "human", "value": "And another?"}, {"from": "gpt", "value": "RECORDED-2"},
            {"from": "human", "value": "Which is warmer?"}, {"from": "gpt", "value": "RECORDED-3"}]},
          {"id": "c2", "conversations": [{"from": "human", "value": "Count to three."}, {"from": "gpt", "value": "RECORDED-4"},
            {"from": "human", "value": "Now backwards."}]}
        ]
        """;

    [Fact]
    public void Each_turn_is_a_query_sent_with_the_models_own_answers_after_the_think_time()
    {
        File.WriteAllText(_work.Combine("conv.json"), Conversations);
        fixture.Server.Behaviour = new Behaviour();
        fixture.Server.Served.Clear();
        var r = fixture.Profile(_work.Path, "--dataset", "sharegpt", "--dataset-path", "conv.json", "--dataset-param", "turns=all",
            "--turn-gap", "0.25s", "--concurrency", "2");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(5, rows.Count);
        var turns = rows.Select(x => (Conversation: x.GetProperty("conversation_id").GetString(), Turn: x.GetProperty("turn").GetInt32()))
            .Order().ToList();
        Assert.Equal([("c1", 1), ("c1", 2), ("c1", 3), ("c2", 1), ("c2", 2)], turns);
        Assert.Equal(rows.Count, rows.Select(x => x.GetProperty("query_index").GetInt64()).Distinct().Count());

        // Turn 3 of c1 carried the system message, the user's turns and the model's own two answers, not the recorded ones.
        var c1 = rows.Where(x => x.GetProperty("conversation_id").GetString() == "c1").OrderBy(x => x.GetProperty("turn").GetInt32()).ToList();
        var third = fixture.Server.Served.Select(s => JsonDocument.Parse(s.RequestJson).RootElement)
            .Single(j => j.GetProperty("messages").EnumerateArray().Any(m => m.GetProperty("content").GetString() == "Which is warmer?"));
        var sent = third.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal(
        [
            ("system", "Be brief."), ("user", "Name a colour."), ("assistant", c1[0].GetProperty("response").GetString()),
            ("user", "And another?"), ("assistant", c1[1].GetProperty("response").GetString()), ("user", "Which is warmer?"),
        ], sent);
        Assert.DoesNotContain("RECORDED", third.GetRawText());
        // Each turn's recorded reply is its reference; the context grows turn by turn.
        Assert.Equal("RECORDED-3", c1[2].GetProperty("reference").GetString());
        Assert.True(c1[2].GetProperty("input_tokens").GetInt64() > c1[1].GetProperty("input_tokens").GetInt64());
        Assert.True(c1[1].GetProperty("input_tokens").GetInt64() > c1[0].GetProperty("input_tokens").GetInt64());
        // The think time: a turn starts at least 0.25 s after the one before it ended.
        for (var k = 1; k < c1.Count; k++)
        {
            var ended = c1[k - 1].GetProperty("completed_at_s").GetDouble();
            Assert.True(c1[k].GetProperty("sent_at_s").GetDouble() - ended >= 0.25, $"turn {k + 1} began {c1[k].GetProperty("sent_at_s").GetDouble() - ended:F3} s after turn {k}");
        }

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var conversations = summary.RootElement.GetProperty("totals").GetProperty("conversations");
        Assert.Equal(2, conversations.GetProperty("conversations").GetInt32());
        Assert.Equal(2.5, conversations.GetProperty("mean_turns").GetDouble());
        var byTurn = conversations.GetProperty("by_turn").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], byTurn.Select(t => t.GetProperty("turn").GetInt32()));
        Assert.Equal([2, 2, 1], byTurn.Select(t => t.GetProperty("queries").GetInt32()));
        Assert.Equal("0.25s", summary.RootElement.GetProperty("config").GetProperty("turn_gap").GetString());
    }

    [Fact]
    public void A_conversation_taken_whole_sums_its_turns_energy_and_one_that_ended_early_is_not_taken_whole()
    {
        // The NVML stand-in at a steady 150 W gives every turn an energy; the fifth request (c2's second turn, with one
        // conversation at a time) fails, so c2 ends early.
        File.WriteAllText(_work.Combine("conv.json"), Conversations);
        File.WriteAllLines(_work.Combine("gpu.conf"), ["devices=1", "name=NVIDIA Stand-in", "power_low_mw=150000", "power_high_mw=150000", "energy_step_ms=10"]);
        var env = new Dictionary<string, string>
        {
            ["LD_LIBRARY_PATH"] = Path.Combine(IpwProcess.RepoRoot, "artifacts", "native", "nvml-standin"),
            ["IPW_NVML_STANDIN_CONFIG"] = _work.Combine("gpu.conf"),
            ["IPW_POWERCAP_ROOT"] = _work.Combine("no-rapl"),
        };
        fixture.Server.Behaviour = new Behaviour
        {
            FirstTokenDelay = TimeSpan.FromMilliseconds(30),
            InterChunkDelay = TimeSpan.FromMilliseconds(10),
            ExactTiming = false,
            Fault = Fault.Http500,
            FaultEvery = 5
        };
        var r = IpwProcess.Run(_work.Path, ["profile", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", fixture.Server.BaseUrl.ToString(),
            "--max-tokens", "8", "--output-dir", "runs", "--progress", "plain", "--warmup", "0", "--energy", "nvml", "--baseline", "0", "--attribution", "overlap",
            "--dataset", "sharegpt", "--dataset-path", "conv.json", "--dataset-param", "turns=all", "--turn-gap", "0.1s"], env);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(5, rows.Count);
        Assert.All(rows, x => Assert.Equal(x.GetProperty("conversation_id").GetString() == "c1" ? 3 : 2, x.GetProperty("conversation_turns").GetInt32()));
        var c1 = rows.Where(x => x.GetProperty("conversation_id").GetString() == "c1").OrderBy(x => x.GetProperty("turn").GetInt32()).ToList();
        Assert.All(c1, x => Assert.Equal("ok", x.GetProperty("status").GetString()));
        Assert.Equal("server", rows.Single(x => x.GetProperty("conversation_id").GetString() == "c2" && x.GetProperty("turn").GetInt32() == 2)
            .GetProperty("status").GetString());
        var c1Energy = c1.Sum(x => x.GetProperty("energy_j").GetDouble());
        var c1Duration = c1[^1].GetProperty("completed_at_s").GetDouble() - c1[0].GetProperty("sent_at_s").GetDouble();
        Assert.True(c1Energy > 0);

        // summary.json: only c1 is taken whole; its energy is its turns' summed.
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var conversations = summary.RootElement.GetProperty("totals").GetProperty("conversations");
        Assert.Equal(2, conversations.GetProperty("conversations").GetInt32());
        Assert.Equal(1, conversations.GetProperty("complete").GetInt32());
        Assert.Equal(1, conversations.GetProperty("energy_j").GetProperty("count").GetInt32());
        Assert.Equal(c1Energy, conversations.GetProperty("energy_j").GetProperty("mean").GetDouble(), 9);
        Assert.Equal(c1Duration, conversations.GetProperty("duration_s").GetProperty("mean").GetDouble(), 9);
        var turn1 = conversations.GetProperty("by_turn")[0];
        var turn1Energy = rows.Where(x => x.GetProperty("turn").GetInt32() == 1).Select(x => x.GetProperty("energy_j").GetDouble()).Average();
        Assert.Equal(turn1Energy, turn1.GetProperty("energy_j").GetProperty("mean").GetDouble(), 9);

        // ipw analyze's conversations analysis agrees, per turn and per conversation, and says c2 ended early.
        var a = IpwProcess.Run(_work.Path, ["analyze", run, "--analysis", "conversations", "--json"]);
        Assert.True(a.ExitCode == 0, a.Stderr + a.Stdout);
        var analysis = JsonDocument.Parse(a.Stdout).RootElement.GetProperty("runs")[0].GetProperty("analyses").GetProperty("conversations");
        var whole = analysis.GetProperty("per_conversation");
        Assert.Equal(1, whole.GetProperty("complete").GetInt32());
        Assert.Equal(c1Energy, whole.GetProperty("energy_j").GetProperty("mean").GetDouble(), 9);
        Assert.Equal(c1Duration, whole.GetProperty("duration_s").GetProperty("p50").GetDouble(), 9);
        var byTurn = analysis.GetProperty("by_turn").EnumerateArray().ToList();
        Assert.Equal([2, 2, 1], byTurn.Select(t => t.GetProperty("queries").GetInt32()));
        Assert.Equal([2, 1, 1], byTurn.Select(t => t.GetProperty("ok").GetInt32()));
        Assert.Equal(turn1Energy, byTurn[0].GetProperty("energy_j").GetProperty("mean").GetDouble(), 9);
        Assert.Contains(analysis.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("1 of 2 conversations ended early"));

        // A run of single queries has no conversations, and the analysis says so rather than failing.
        fixture.Server.Behaviour = new Behaviour();
        var single = Directory.CreateDirectory(_work.Combine("single")).FullName;
        Assert.Equal(0, fixture.Profile(single, "--max-queries", "2").ExitCode);
        var t = IpwProcess.Run(_work.Path, ["analyze", Directory.GetDirectories(Path.Combine(single, "runs")).Single(), "--analysis", "conversations"]);
        Assert.True(t.ExitCode == 0, t.Stderr + t.Stdout);
        Assert.Contains("no replayed conversations in this run", t.Stdout);
    }

    [Fact]
    public void A_bad_turn_gap_is_one_line_naming_the_option()
    {
        var r = fixture.Profile(_work.Path, "--turn-gap", "normal:3s");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--turn-gap expects 0s, a duration such as 2s, or normal:MEAN,SD", r.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
