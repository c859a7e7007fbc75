using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>A user's JSON Lines file through the real binary, against the test server.</summary>
public sealed class JsonlEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();
    private InferenceServer Server => fixture.Server;

    private IpwProcess.Result Profile(params string[] extra) => fixture.Profile(_work.Path, extra);

    [Fact]
    public void A_users_jsonl_file_is_sent_graded_and_scored()
    {
        // The server's canned answer is "tok tok tok": the regex and contains rows are right, the numeric one is wrong.
        Server.Behaviour = new Behaviour { CannedTokens = 3, ExactTiming = false };
        File.WriteAllLines(_work.Combine("mine.jsonl"),
        [
            """{"id": "a", "prompt": "Say tok.", "answer": "tok", "how": "regex:^\\s*tok", "subject": "echo"}""",
            """{"id": "b", "prompt": "Say tok twice.", "answer": "tok tok", "how": "contains", "subject": "echo"}""",
            """{"id": "c", "prompt": "What is 6*7?", "answer": 42, "how": "numeric", "subject": "math"}""",
            """{"id": "d", "prompt": "Tell me a story."}""",
        ]);
        var r = Profile("--dataset", "jsonl", "--dataset-path", "mine.jsonl", "--dataset-param", "grader_field=how");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray()
            .ToDictionary(x => x.GetProperty("item_id").GetString()!);
        Assert.True(rows["a"].GetProperty("correct").GetBoolean(), rows["a"].GetProperty("grade_explanation").GetString());
        Assert.True(rows["b"].GetProperty("correct").GetBoolean(), rows["b"].GetProperty("grade_explanation").GetString());
        Assert.False(rows["c"].GetProperty("correct").GetBoolean());
        Assert.Contains("no number in the answer (expected 42)", rows["c"].GetProperty("grade_explanation").GetString());
        Assert.Equal(JsonValueKind.Null, rows["d"].GetProperty("correct").ValueKind);
        Assert.Contains("accuracy: 2/3 = 66.7 %", r.Stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var bySubject = summary.RootElement.GetProperty("intelligence").GetProperty("by_subject");
        Assert.Equal(1.0, bySubject.GetProperty("echo").GetProperty("accuracy").GetDouble());
        Assert.Equal(0.0, bySubject.GetProperty("math").GetProperty("accuracy").GetDouble());

        // Rescoring with another grader for every row that has a reference: all three now pass; the open-ended row stays ungraded.
        var score = IpwProcess.Run(_work.Path, ["score", run, "--grader", @"regex:^\s*tok"]);
        Assert.True(score.ExitCode == 0, score.Stderr + score.Stdout);
        Assert.Contains("4 rows, 3 graded, 3 correct", score.Stdout);
        var rescored = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray()
            .ToDictionary(x => x.GetProperty("item_id").GetString()!);
        Assert.Equal(4, rescored.Count);
        Assert.True(rescored["c"].GetProperty("correct").GetBoolean());
        Assert.Equal("numeric", rescored["c"].GetProperty("grader").GetString()); // the row's own grader is kept
        Assert.StartsWith(@"regex:^\s*tok: ", rescored["c"].GetProperty("grade_explanation").GetString());
        Assert.Equal(rows["c"].GetProperty("e2e_latency_s").GetDouble(), rescored["c"].GetProperty("e2e_latency_s").GetDouble());
        Assert.Equal(JsonValueKind.Null, rescored["d"].GetProperty("correct").ValueKind);
        using var after = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(1.0, after.RootElement.GetProperty("intelligence").GetProperty("accuracy").GetDouble());
        Assert.Equal(@"regex:^\s*tok", after.RootElement.GetProperty("intelligence").GetProperty("grader_override").GetString());

        // Scoring again without the override goes back to each row's own grader.
        var back = IpwProcess.Run(_work.Path, ["score", run]);
        Assert.Contains("4 rows, 3 graded, 2 correct", back.Stdout);
    }

    [Fact]
    public void Without_the_text_a_run_keeps_its_grades_but_not_its_prompts_or_answers_and_cannot_be_rescored()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 3, ExactTiming = false };
        File.WriteAllLines(_work.Combine("mine.jsonl"),
        [
            """{"id": "a", "prompt": "Say tok.", "answer": "tok", "how": "regex:^\\s*tok"}""",
            """{"id": "c", "prompt": "What is 6*7?", "answer": 42, "how": "numeric"}""",
        ]);
        var r = Profile("--dataset", "jsonl", "--dataset-path", "mine.jsonl", "--dataset-param", "grader_field=how", "--keep-text", "false");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray()
            .ToDictionary(x => x.GetProperty("item_id").GetString()!);
        foreach (var row in rows.Values)
        {
            foreach (var text in new[] { "prompt", "response", "reasoning" })
                Assert.Equal(JsonValueKind.Null, row.GetProperty(text).ValueKind);
            Assert.Equal(3, row.GetProperty("output_tokens").GetInt64());
        }
        // Graded as the answers arrived.
        Assert.True(rows["a"].GetProperty("correct").GetBoolean());
        Assert.False(rows["c"].GetProperty("correct").GetBoolean());
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))))
            Assert.False(summary.RootElement.GetProperty("config").GetProperty("keep_text").GetBoolean());

        var before = File.ReadAllBytes(Path.Combine(run, "data-00000-of-00001.arrow"));
        var score = IpwProcess.Run(_work.Path, ["score", run]);
        Assert.Equal(2, score.ExitCode);
        Assert.Contains("was profiled with --keep-text false", Assert.Single(score.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(run, "data-00000-of-00001.arrow")));
    }

    [Theory]
    [InlineData("no-such-run", null, "is not a run folder")]
    [InlineData(".", "fuzzy", "unknown grader 'fuzzy'")]
    public void Score_refuses_what_it_cannot_score_in_one_line(string run, string? grader, string message)
    {
        var r = IpwProcess.Run(_work.Path, grader is null ? ["score", run] : ["score", run, "--grader", grader]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void A_malformed_jsonl_file_is_one_line_naming_the_line_before_any_request()
    {
        Server.Served.Clear();
        File.WriteAllLines(_work.Combine("bad.jsonl"), ["""{"prompt": "fine"}""", """{"prompt": "cut"""]);
        var r = Profile("--dataset", "jsonl", "--dataset-path", "bad.jsonl");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("bad.jsonl line 2: not valid JSON", line);
        Assert.Empty(Server.Served);
    }

    public void Dispose() => _work.Dispose();
}
