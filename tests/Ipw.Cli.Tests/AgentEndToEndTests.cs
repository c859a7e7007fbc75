using System.Text.Json;
using System.Text.RegularExpressions;
using Ipw.TestServer;

namespace Ipw.Cli.Tests;

/// <summary>
/// <c>ipw profile --agent react</c> through the real binary: against the test server in its tool-calling mode (it
/// streams the calls as vLLM does) on an ipw-agentic task, and with the embedded engine on the text protocol. Each model
/// call and each tool call is a step of the item's record.
/// </summary>
public sealed class AgentEndToEndTests(ServerForCli fixture) : IClassFixture<ServerForCli>, IDisposable
{
    private readonly TempDir _work = new();

    private static List<JsonElement> Rows(string work) =>
        ArrowJs.Read(Path.Combine(Directory.GetDirectories(Path.Combine(work, "runs")).Single(), "data-00000-of-00001.arrow"))
            .GetProperty("rows").EnumerateArray().ToList();

    [Theory]
    [InlineData("openai")]
    [InlineData("ollama")]
    public void The_react_agent_calls_the_tools_the_model_asks_for_and_each_call_is_a_step(string client)
    {
        // agentic-finance-001's reference solution, as the model's calls; then the model answers.
        fixture.Server.Behaviour = new Behaviour
        {
            ToolCalls =
            [
                new("search", """{"query": "Brannock Tools stock price"}"""),
                new("search", """{"query": "Brannock Tools shares outstanding"}"""),
                new("calculator", """{"expression": "round(42.80 * 18500000 / 1000000, 1)"}"""),
            ],
            Reply = _ => "791.8",
        };
        fixture.Server.Served.Clear();
        var r = IpwProcess.Run(_work.Path, ["profile", "--client", client, "--model", "ipw-tiny", "--client-base-url", fixture.Server.BaseUrl.ToString(),
            "--max-tokens", "8", "--output-dir", "runs", "--progress", "plain", "--warmup", "0",
            "--agent", "react", "--dataset", "ipw-agentic", "--dataset-param", "sample=1", "--max-queries", "1"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var row = Assert.Single(Rows(_work.Path));
        Assert.Equal("ok", row.GetProperty("status").GetString());
        Assert.Equal("791.8", row.GetProperty("response").GetString());
        Assert.True(row.GetProperty("correct").GetBoolean());
        Assert.Equal(4, row.GetProperty("model_steps").GetInt64());
        Assert.Equal(3, row.GetProperty("tool_steps").GetInt64());
        Assert.Equal("model,tool:search,model,tool:search,model,tool:calculator,model", row.GetProperty("step_kinds").GetString());
        var durations = row.GetProperty("step_durations_s").EnumerateArray().Select(d => d.GetDouble()).ToList();
        Assert.Equal(7, durations.Count);
        Assert.All(durations, d => Assert.True(d >= 0));
        // The task runs from its window's start (the client's queue, then the first send) to its answer: the steps fit in it.
        var task = row.GetProperty("client_queue_s").GetDouble() + row.GetProperty("e2e_latency_s").GetDouble();
        Assert.True(durations.Sum() <= task + 1e-6, $"steps {durations.Sum()} s, task {task} s");
        Assert.Equal(durations.Where((_, i) => i % 2 == 1).Sum(), row.GetProperty("tool_time_s").GetDouble(), 9);
        Assert.Equal(3, row.GetProperty("tool_calls").GetInt64());

        // What the tools answered went back to the model.
        var last = JsonDocument.Parse(fixture.Server.Served.Last().RequestJson).RootElement.GetProperty("messages").EnumerateArray().ToList();
        var tools = last.Where(m => m.GetProperty("role").GetString() == "tool").Select(m => m.GetProperty("content").GetString()).ToList();
        Assert.Equal(3, tools.Count);
        Assert.StartsWith("brannock-price: ", tools[0]);
        Assert.StartsWith("brannock-shares: ", tools[1]);
        Assert.Equal("791.8", tools[2]);
        // With the calls' ids (vLLM's layout), or, where the server gives none (Ollama), naming the tool each answers.
        if (client == "ollama")
            Assert.Equal(["search", "search", "calculator"], last.Where(m => m.GetProperty("role").GetString() == "tool").Select(m => m.GetProperty("tool_name").GetString()));
        else
            Assert.All(last.Where(m => m.GetProperty("role").GetString() == "tool"), m => Assert.StartsWith("chatcmpl-tool-", m.GetProperty("tool_call_id").GetString()));

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory.GetDirectories(_work.Combine("runs")).Single(), "summary.json")));
        Assert.Equal("react", summary.RootElement.GetProperty("config").GetProperty("agent").GetString());
    }

    [Fact]
    public void Each_steps_energy_is_its_share_of_the_tasks_and_the_shares_add_up_to_it()
    {
        // A package counter at a steady 40 W: a step's energy is 40 W times its duration, known by hand. The model calls
        // take 60 ms and more (the server's first-token delay); the tools what they take (the first search loads the corpus).
        fixture.Server.Behaviour = new Behaviour
        {
            ToolCalls = [new("calculator", """{"expression": "6 * 7"}"""), new("search", """{"query": "Brannock Tools stock price"}""")],
            Reply = _ => "42",
            FirstTokenDelay = TimeSpan.FromMilliseconds(60),
        };
        IpwProcess.Result r;
        using (var rapl = new FakeRaplCounter(_work.Combine("powercap"), watts: 40))
            r = IpwProcess.Run(_work.Path, ["profile", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", fixture.Server.BaseUrl.ToString(),
                "--agent", "react", "--dataset", "ipw-agentic", "--max-queries", "1", "--max-tokens", "8", "--warmup", "0", "--baseline", "0",
                "--progress", "none", "--output-dir", "runs"], new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = rapl.Root });
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var row = Assert.Single(Rows(_work.Path));
        Assert.Equal("energy", row.GetProperty("step_share_source").GetString());
        var kinds = row.GetProperty("step_kinds").GetString()!.Split(',');
        Assert.Equal(["model", "tool:calculator", "model", "tool:search", "model"], kinds);
        var shares = row.GetProperty("step_energy_share").EnumerateArray().Select(x => x.GetDouble()).ToList();
        var durations = row.GetProperty("step_durations_s").EnumerateArray().Select(x => x.GetDouble()).ToList();
        var energy = row.GetProperty("energy_j").GetDouble();
        // The steps' energies add up to the task's exactly.
        Assert.Equal(1.0, shares.Sum(), 12);
        Assert.Equal(energy, shares.Sum(s => energy * s), 9);
        // At a steady power each step's share of the joules is its share of the steps' time (the counter is read at each
        // step's edges, to the millisecond it is rewritten at): the tools' joules are theirs, a sliver, not the model's.
        var time = durations.Sum();
        for (var i = 0; i < shares.Count; i++)
            Assert.True(Math.Abs(shares[i] - durations[i] / time) <= 0.03, $"step {i} ({kinds[i]}): share {shares[i]:F4}, time share {durations[i] / time:F4}");
        Assert.InRange(energy, 40 * time * 0.95, 40 * (time + 0.05) * 1.05);

        // Each step's start on the run's clock: in order, each after the one before has ended, inside the task's window.
        var starts = row.GetProperty("step_started_at_s").EnumerateArray().Select(x => x.GetDouble()).ToList();
        Assert.Equal(kinds.Length, starts.Count);
        for (var i = 1; i < starts.Count; i++) Assert.True(starts[i] >= starts[i - 1] + durations[i - 1] - 1e-6, $"step {i} starts before step {i - 1} ends");
        // (The task's window opens at its client queue's start; the first step begins there, before the first send.)
        var opened = row.GetProperty("sent_at_s").GetDouble() - row.GetProperty("client_queue_s").GetDouble();
        Assert.InRange(starts[0], opened - 1e-6, row.GetProperty("sent_at_s").GetDouble() + 1e-6);
        Assert.True(starts[^1] + durations[^1] <= row.GetProperty("completed_at_s").GetDouble() + 1e-6);
        // Tokens per step: the model calls' (the server's usage), none for a tool.
        var tokens = row.GetProperty("step_output_tokens").EnumerateArray().Select(x => x.GetDouble()).ToList();
        Assert.Equal([0.0, 0.0], tokens.Where((_, i) => kinds[i] != "model"));
        Assert.All(tokens.Where((_, i) => kinds[i] == "model"), t => Assert.True(t > 0));
        Assert.Equal(row.GetProperty("output_tokens").GetDouble(), tokens.Sum());

        // The task's steps drawn with the power under them, and in the HTML report.
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        var plot = IpwProcess.Run(_work.Path, ["plot", run, "--visualization", "steps", "--html"]);
        Assert.True(plot.ExitCode == 0, plot.Stderr + plot.Stdout);
        Assert.DoesNotContain("no power sample", plot.Stdout + plot.Stderr);
        var figure = Assert.Single(Directory.GetFiles(Path.Combine(run, "plots"), "steps_*.png"));
        Assert.True(new FileInfo(figure).Length > 10_000);
        // The report draws it inline as SVG, each step titled on hover with its kind, duration and share of the energy.
        var report = File.ReadAllText(Path.Combine(run, "plots", "report.html"));
        Assert.Contains($"aria-label=\"{Path.GetFileNameWithoutExtension(figure)}\"", report);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(report, @"<title>step 1, model: [\d.]+ [mµ]?s, [\d.]+ % of the task(&#39;|')s energy</title>"),
            string.Join("\n", System.Text.RegularExpressions.Regex.Matches(report, "<title>[^<]*</title>").Select(m => m.Value).Take(5)));
        Assert.Empty(Directory.GetFiles(Path.Combine(run, "plots"), "*.svg")); // the SVG drawn for the report is not left beside the PNGs

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory.GetDirectories(_work.Combine("runs")).Single(), "summary.json")));
        var agent = summary.RootElement.GetProperty("totals").GetProperty("agent");
        Assert.Equal(1, agent.GetProperty("tasks").GetInt32());
        Assert.Equal(3, agent.GetProperty("mean_model_steps").GetDouble());
        Assert.Equal(2, agent.GetProperty("mean_tool_steps").GetDouble());
        var toolTime = durations.Where((_, i) => kinds[i] != "model").Sum() / time;
        Assert.Equal(toolTime, agent.GetProperty("tool_time_share").GetDouble(), 6);
        Assert.True(Math.Abs(agent.GetProperty("tool_energy_share").GetDouble() - toolTime) <= 0.05, agent.ToString());
        Assert.Equal(5, agent.GetProperty("mean_steps").GetDouble());
        Assert.Equal(energy, agent.GetProperty("mean_energy_per_task_j").GetDouble(), 9);
        // The task is graded (its answer is wrong here): accuracy 0, so intelligence per joule 0, not missing.
        Assert.Equal(row.GetProperty("correct").GetBoolean() ? 1.0 : 0.0, agent.GetProperty("accuracy").GetDouble());
        Assert.Equal(agent.GetProperty("accuracy").GetDouble() / energy, agent.GetProperty("intelligence_per_joule").GetDouble(), 9);
    }

    [Fact]
    public void The_agent_runs_on_the_embedded_engine_with_the_text_protocol()
    {
        var r = IpwProcess.Run(_work.Path, ["profile", "--agent", "react", "--agent-param", "protocol=text", "--agent-param", "max_steps=2",
            "--dataset", "ipw-agentic", "--max-queries", "2", "--max-tokens", "16", "--baseline", "0", "--progress", "none", "--output-dir", "runs"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var rows = Rows(_work.Path);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.Equal("ok", row.GetProperty("status").GetString());
            Assert.InRange(row.GetProperty("model_steps").GetInt64(), 1, 2);
            Assert.StartsWith("model", row.GetProperty("step_kinds").GetString());
            // No energy counter here: the steps share the task's energy by their time, and say so.
            Assert.Equal("time", row.GetProperty("step_share_source").GetString());
            Assert.Equal(1.0, row.GetProperty("step_energy_share").EnumerateArray().Sum(x => x.GetDouble()), 12);
        });
    }

    /// <summary>MCP's reference server (<c>@modelcontextprotocol/server-everything</c>, installed by scripts/test.sh).</summary>
    private static string McpEverything()
    {
        var script = Path.Combine(IpwProcess.RepoRoot, "tests", "mcp", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
        Assert.True(File.Exists(script), "server-everything is not installed: run 'npm install --prefix tests/mcp' (scripts/test.sh does)");
        return $"node '{script}' stdio";
    }

    [Fact]
    public void The_react_agent_calls_an_MCP_servers_tools_over_stdio()
    {
        fixture.Server.Behaviour = new Behaviour
        {
            ToolCalls = [new("get-sum", """{"a": 2, "b": 3}"""), new("echo", """{"message": "steps are measured"}""")],
            Reply = _ => "5",
        };
        fixture.Server.Served.Clear();
        var r = fixture.Profile(_work.Path, "--agent", "react", "--agent-param", $"mcp.everything={McpEverything()}", "--agent-param", "offline=false",
            "--dataset", "ipw-agentic", "--dataset-param", "sample=1", "--max-queries", "1");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var row = Assert.Single(Rows(_work.Path));
        Assert.Equal("ok", row.GetProperty("status").GetString());
        Assert.Equal("model,tool:get-sum,model,tool:echo,model", row.GetProperty("step_kinds").GetString());

        // The tools offered are the server's own, with its schemas (and not the offline ones); what it answered went back.
        var first = JsonDocument.Parse(fixture.Server.Served.First().RequestJson).RootElement;
        var offered = first.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function")).ToList();
        Assert.DoesNotContain(offered, f => f.GetProperty("name").GetString() == "calculator");
        var sum = Assert.Single(offered, f => f.GetProperty("name").GetString() == "get-sum");
        Assert.Equal("number", sum.GetProperty("parameters").GetProperty("properties").GetProperty("a").GetProperty("type").GetString());
        var last = JsonDocument.Parse(fixture.Server.Served.Last().RequestJson).RootElement.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("role").GetString() == "tool").Select(m => m.GetProperty("content").GetString()).ToList();
        Assert.Equal(["The sum of 2 and 3 is 5.", "Echo: steps are measured"], last);
    }

    [Fact]
    public void An_MCP_server_that_does_not_start_is_one_line_before_the_run()
    {
        var r = fixture.Profile(_work.Path, "--agent", "react", "--agent-param", "mcp.broken=sh -c 'echo no such server >&2; exit 4'",
            "--dataset", "ipw-agentic", "--max-queries", "1");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith("ipw: error: --agent react: MCP server 'broken' (sh -c 'echo no such server >&2; exit 4') did not start: ", line);
        Assert.Contains("no such server", line);
        Assert.False(Directory.Exists(_work.Combine("runs")) && Directory.EnumerateFileSystemEntries(_work.Combine("runs")).Any());
    }

    [Fact]
    public void The_monitor_shows_the_current_tasks_steps_live_and_in_a_replay()
    {
        // Slow model calls (the first token after 400 ms), so a running step is on screen with its time so far.
        fixture.Server.Behaviour = new Behaviour
        {
            ToolCalls = [new("search", """{"query": "Brannock Tools stock price"}"""), new("calculator", """{"expression": "6 * 7"}""")],
            Reply = _ => "42",
            FirstTokenDelay = TimeSpan.FromMilliseconds(400),
        };
        using var tmux = new Tmux(_work.Path, ["profile", "--tui", "--client", "openai", "--model", "ipw-tiny", "--client-base-url", fixture.Server.BaseUrl.ToString(),
            "--agent", "react", "--dataset", "ipw-agentic", "--max-queries", "2", "--max-tokens", "8", "--warmup", "0", "--baseline", "0", "--output-dir", "runs"]);
        var running = tmux.WaitFor(s => Regex.IsMatch(s, @"steps of agentic-\S+ \(running [\d.]+ m?s\): model \d+ ms › search \d+ ms › model \d+ ms…"),
            "a task's steps with the model call running");
        Assert.Contains("q stop", running);
        // The task ends: its status and time, every step with its duration.
        tmux.WaitFor(s => Regex.IsMatch(s, @"steps of agentic-\S+ \(ok, [\d.]+ m?s\): model \d+ ms › search \d+ ms › model \d+ ms › calculator \d+ ms › model \d+ ms"),
            "the task's steps once it ended");
        tmux.WaitFor(s => s.Contains("q quit"), "the run's end");
        tmux.Keys("q");
        Assert.Equal(0, tmux.WaitForExit());

        // Replayed from its records, the run shows the same steps at the times they happened.
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        using var replay = new Tmux(_work.Path, ["monitor", run, "--replay", "--speed", "1"]);
        replay.WaitFor(s => Regex.IsMatch(s, @"steps of agentic-\S+ \(running [\d.]+ m?s\): model \d+ ms › search \d+ ms › model \d+ ms…"),
            "a replayed task's steps with the model call running");
        replay.WaitFor(s => Regex.IsMatch(s, @"steps of agentic-\S+ \(ok, [\d.]+ m?s\): model \d+ ms › search \d+ ms › model \d+ ms › calculator \d+ ms › model \d+ ms"),
            "a replayed task's steps once it ended");
        replay.Keys("q");
        Assert.Equal(0, replay.WaitForExit());
    }

    [Fact]
    public void A_bad_agent_setting_is_one_line()
    {
        var r = IpwProcess.Run(_work.Path, ["profile", "--agent", "react", "--agent-param", "protocol=smoke", "--max-queries", "1"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("ipw: error: --agent react: protocol must be tools or text, got 'smoke'", r.Stderr.Trim());
    }

    public void Dispose() => _work.Dispose();
}
