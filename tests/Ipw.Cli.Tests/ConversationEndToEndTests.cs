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
    public void A_bad_turn_gap_is_one_line_naming_the_option()
    {
        var r = fixture.Profile(_work.Path, "--turn-gap", "normal:3s");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--turn-gap expects 0s, a duration such as 2s, or normal:MEAN,SD", r.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
