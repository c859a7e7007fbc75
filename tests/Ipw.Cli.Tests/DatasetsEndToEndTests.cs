using System.Text.Json;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>The loaders and the judge through the real binary, against the test server.</summary>
public sealed class DatasetsEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();
    private InferenceServer Server => fixture.Server;

    private IpwProcess.Result Profile(params string[] extra) => fixture.Profile(_work.Path, extra);

    private static Dictionary<string, JsonElement> Rows(string run) =>
        ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray()
            .ToDictionary(x => x.GetProperty("item_id").GetString()!);

    private static string Explanation(JsonElement row) => row.GetProperty("grade_explanation").GetString()!;

    /// <summary>The model answers "Milan" about Italy and "Paris" to everything else; the judge says CORRECT when the candidate answer is Paris, and
    /// gives no verdict for the question about the moon; pairwise, it always picks A.</summary>
    private static string? Script(string prompt)
    {
        if (prompt.Contains("[Answer A]", StringComparison.Ordinal)) return "A reads better. WINNER: A";
        if (!prompt.Contains("[Candidate answer]", StringComparison.Ordinal)) return prompt.Contains("Italy", StringComparison.Ordinal) ? "Milan" : "Paris";
        if (prompt.Contains("moon", StringComparison.Ordinal)) return "I would rather not say.";
        var candidate = prompt[prompt.IndexOf("[Candidate answer]", StringComparison.Ordinal)..];
        return candidate.Contains("Paris", StringComparison.Ordinal) ? "Same city. VERDICT: CORRECT" : "Different. VERDICT: INCORRECT";
    }

    [Fact]
    public void A_judge_grades_after_the_run_against_references_and_pairwise()
    {
        Server.Behaviour = new Behaviour { Reply = Script, ExactTiming = false };
        File.WriteAllLines(_work.Combine("open.jsonl"),
        [
            """{"id": "fr", "prompt": "Capital of France?", "answer": "Paris", "subject": "geo"}""",
            """{"id": "it", "prompt": "Capital of Italy?", "answer": "Rome", "subject": "geo"}""",
            """{"id": "moon", "prompt": "What is the moon made of?", "answer": "Rock", "subject": "space"}""",
            """{"id": "chat", "prompt": "Tell me a story."}""",
        ]);
        var r = Profile("--dataset", "jsonl", "--dataset-path", "open.jsonl", "--dataset-param", "grader=judge");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var rows = Rows(run);
        Assert.Equal("judge", rows["fr"].GetProperty("grader").GetString());
        Assert.Contains("the judge grades after the run: ipw score RUN --judge-client", Explanation(rows["fr"]));
        Assert.Equal(JsonValueKind.Null, rows["fr"].GetProperty("correct").ValueKind);

        Server.Served.Clear();
        var judge = new[] { "--judge-client", "openai", "--judge-model", "ipw-tiny", "--judge-base-url", Server.BaseUrl.ToString() };
        var score = IpwProcess.Run(_work.Path, ["score", run, .. judge]);
        Assert.True(score.ExitCode == 0, score.Stderr + score.Stdout);
        Assert.Contains("4 rows, 2 graded, 1 correct", score.Stdout);
        Assert.Equal(3, Server.Served.Count(s => s.RequestJson.Contains("[Reference answer]", StringComparison.Ordinal))); // one call per row with a reference
        rows = Rows(run);
        Assert.True(rows["fr"].GetProperty("correct").GetBoolean());
        Assert.StartsWith("judge ipw-tiny: correct (\"Same city. VERDICT: CORRECT\")", Explanation(rows["fr"]));
        Assert.False(rows["it"].GetProperty("correct").GetBoolean());
        Assert.Equal(JsonValueKind.Null, rows["moon"].GetProperty("correct").ValueKind);
        Assert.Equal("not graded: the judge gave no verdict (\"I would rather not say.\")", Explanation(rows["moon"]));
        Assert.Equal("not graded: open-ended (no reference)", Explanation(rows["chat"]));
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))))
        {
            var intelligence = summary.RootElement.GetProperty("intelligence");
            Assert.Equal(0.5, intelligence.GetProperty("accuracy").GetDouble());
            Assert.Equal("ipw-tiny", intelligence.GetProperty("judge").GetProperty("model").GetString());
            Assert.Equal("reference", intelligence.GetProperty("judge").GetProperty("mode").GetString());
        }

        // Pairwise against the reference answers: the judge always says A, so the run wins exactly where it was shown as A.
        var pairwise = IpwProcess.Run(_work.Path, ["score", run, .. judge, "--judge-mode", "pairwise"]);
        Assert.True(pairwise.ExitCode == 0, pairwise.Stderr + pairwise.Stdout);
        foreach (var id in new[] { "fr", "it", "moon" })
        {
            var row = Rows(run)[id];
            var shownAsA = Explanation(row).Contains("answer shown as A", StringComparison.Ordinal);
            Assert.Equal(shownAsA ? 1.0 : 0.0, row.GetProperty("score").GetDouble());
            Assert.Equal(shownAsA, row.GetProperty("correct").GetBoolean());
        }
    }

    [Fact]
    public void A_profile_can_call_the_judge_once_the_measurement_is_over()
    {
        Server.Behaviour = new Behaviour { Reply = Script, ExactTiming = false };
        File.WriteAllLines(_work.Combine("two.jsonl"),
        [
            """{"id": "fr", "prompt": "Capital of France?", "answer": "Paris", "grader": "judge"}""",
            """{"id": "it", "prompt": "Capital of Italy?", "answer": "Rome", "grader": "judge"}""",
        ]);
        Server.Served.Clear();
        var r = Profile("--dataset", "jsonl", "--dataset-path", "two.jsonl", "--dataset-param", "grader_field=grader",
            "--judge-client", "openai", "--judge-model", "ipw-tiny", "--judge-base-url", Server.BaseUrl.ToString());
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("judged by ipw-tiny: 2 graded, 1 correct (50.0 %)", r.Stdout);
        // Both answers were measured before the first judge request arrived.
        var judged = Server.Served.Where(s => s.RequestJson.Contains("[Candidate answer]", StringComparison.Ordinal)).ToList();
        var answered = Server.Served.Except(judged).ToList();
        Assert.Equal(2, judged.Count);
        Assert.Equal(2, answered.Count);
        Assert.True(answered.Max(s => s.ReceivedAt) < judged.Min(s => s.ReceivedAt));
        var bad = Profile("--concurrency", "1,2", "--judge-client", "openai");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--judge-client does not apply to sweeps", bad.Stderr);
    }

    [Theory]
    [InlineData(new[] { "--grader", "judge" }, "--grader judge needs a judge: --judge-client CLIENT --judge-model MODEL")]
    [InlineData(new[] { "--judge-model", "m" }, "--judge-model needs --judge-client")]
    [InlineData(new[] { "--judge-client", "openai", "--judge-mode", "vibes" }, "--judge-mode must be reference or pairwise, got 'vibes'")]
    [InlineData(new[] { "--judge-client", "nosuch" }, "nosuch")]
    public void Judge_options_are_checked_in_one_line(string[] options, string message)
    {
        var r = IpwProcess.Run(_work.Path, ["score", ".", .. options]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Synthetic_items_send_their_own_output_lengths()
    {
        Server.Behaviour = new Behaviour { ExactTiming = false }; // the real engine: exactly max_tokens tokens
        Server.Served.Clear();
        var r = Profile("--dataset", "synthetic", "--dataset-param", "count=5", "--dataset-param", "input_tokens=uniform:20,80",
            "--dataset-param", "output_tokens=uniform:2,12", "--dataset-param", "seed=4");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var rows = Rows(Directory.GetDirectories(_work.Combine("runs")).Single());
        Assert.Equal(5, rows.Count);
        var asked = Server.Served.Select(s => JsonDocument.Parse(s.RequestJson).RootElement.GetProperty("max_tokens").GetInt32()).ToList();
        Assert.Equal(5, asked.Count);
        Assert.All(asked, n => Assert.InRange(n, 2, 12));
        Assert.True(asked.Distinct().Count() > 1, "output lengths vary");
        Assert.Equal(asked.Order(), rows.Values.Select(x => x.GetProperty("output_tokens").GetInt32()).Order());
    }

    [Fact]
    public void A_csv_file_is_sampled_and_graded_and_its_errors_name_the_row()
    {
        Server.Behaviour = new Behaviour { CannedTokens = 2, ExactTiming = false }; // answers "tok tok"
        File.WriteAllText(_work.Combine("q.csv"), "question,answer\n" + string.Concat(Enumerable.Range(1, 30).Select(i => $"\"Say tok, {i}\",tok\n")));
        var r = Profile("--dataset", "csv", "--dataset-path", "q.csv", "--dataset-param", "grader=contains",
            "--dataset-param", "shuffle=true", "--dataset-param", "sample=6", "--dataset-param", "seed=2");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("accuracy: 6/6 = 100.0 %", r.Stdout);
        var rows = Rows(Directory.GetDirectories(_work.Combine("runs")).Single());
        Assert.Equal(6, rows.Count);
        Assert.All(rows.Values, x => Assert.StartsWith("Say tok, ", x.GetProperty("prompt").GetString()));

        Server.Served.Clear();
        File.WriteAllText(_work.Combine("bad.csv"), "question,answer\nfine,1\nbroken\n");
        foreach (var (extra, message) in new[]
        {
            (new[] { "--dataset-path", "bad.csv" }, "bad.csv row 2: 1 fields, the header has 2"),
            (new[] { "--dataset-path", "q.csv", "--dataset-param", "colour=red" }, "csv: unknown setting 'colour'"),
        })
        {
            var bad = Profile(["--dataset", "csv", .. extra]);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains(message, Assert.Single(bad.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
        Assert.Empty(Server.Served);
    }

    public void Dispose() => _work.Dispose();
}
