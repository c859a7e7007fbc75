using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ipw.Cli.Tests;

/// <summary>The run monitor in a real terminal (tmux), on the real binary and the tiny model.</summary>
public sealed partial class TuiEndToEndTests : IDisposable
{
    private readonly TempDir _work = new();

    [GeneratedRegex(@"│\s*\d+\s*│(math|knowledge)\s*│")]
    private static partial Regex QueryRow();

    [Fact]
    public void Profile_tui_shows_the_run_live_pauses_and_q_saves_a_loadable_run()
    {
        using var tmux = new Tmux(_work.Path, ["profile", "--tui", "--max-queries", "1000", "--max-tokens", "16", "--threads", "1", "--baseline", "0",
            "--dataset-option", "subjects=math,knowledge", "--output-dir", "runs"]);

        // The header, the progress and the table filling in.
        // The key help is the frame's last line: waiting for it too keeps a half-drawn frame out of the assertions.
        var screen = tmux.WaitFor(s => Tmux.QueriesDone(s) >= 3 && QueryRow().Matches(s).Count >= 3 && s.Contains("q stop · p pause/resume"),
            "three queries in the table");
        Assert.Contains("llamasharp · ipw-tiny · ipw@", screen);
        Assert.Contains("energy:", screen);
        Assert.Contains("system: works", screen);
        Assert.Matches(@"queries \d+/1000 \(\d+ %\) · errors 0", screen);
        Assert.Contains("sending: sequential", screen);
        Assert.Contains("q stop · p pause/resume", screen);
        var first = Tmux.QueriesDone(screen);
        screen = tmux.WaitFor(s => Tmux.QueriesDone(s) > first + 2, "more queries");
        Assert.True(QueryRow().Matches(screen).Count > 3);

        // p pauses sending: the count stops (once the query in flight is in), then p resumes.
        tmux.Keys("p");
        tmux.WaitFor(s => s.Contains("‖ PAUSED") && s.Contains("paused (p resumes)"), "the pause");
        Thread.Sleep(1000);
        var paused = Tmux.QueriesDone(tmux.Capture());
        Thread.Sleep(1500);
        Assert.Equal(paused, Tmux.QueriesDone(tmux.Capture()));
        tmux.Keys("p");
        tmux.WaitFor(s => Tmux.QueriesDone(s) > paused && !s.Contains("PAUSED"), "sending again");

        // Views switch with Tab and digits; the help is on screen.
        tmux.Keys("4");
        tmux.WaitFor(s => s.Contains("[4 help]") && s.Contains("pause / resume sending"), "the help");
        tmux.Keys("Tab");
        tmux.WaitFor(s => s.Contains("[1 overview]"), "Tab back to the overview");

        // q stops gracefully: the query in flight completes, everything is saved, and the process exits 0.
        tmux.Keys("q");
        Assert.Equal(0, tmux.WaitForExit());
        var after = tmux.WaitFor(s => s.Contains("stopped from the monitor after"), "the closing line");
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        Assert.Contains($"the run is saved in {run}", after.Replace("\n", ""));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("interrupted", root.GetProperty("status").GetString());
        Assert.Equal("tui", root.GetProperty("config").GetProperty("front_end").GetString());
        var saved = root.GetProperty("counts").GetProperty("records_on_disk").GetInt32();
        Assert.True(saved > paused, $"{saved} records saved, {paused} when paused");
        Assert.Equal(1, root.GetProperty("load").GetProperty("pauses").GetInt32());
        Assert.True(root.GetProperty("load").GetProperty("paused_s").GetDouble() >= 2.0);
        // Loadable by an independent Arrow reader, every query there.
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows");
        Assert.Equal(saved, rows.GetArrayLength());
        Assert.All(rows.EnumerateArray(), r => Assert.Equal("ok", r.GetProperty("status").GetString()));
    }

    [Fact]
    public void Resizing_to_a_small_terminal_keeps_the_essentials_and_the_keys()
    {
        using var tmux = new Tmux(_work.Path, ["profile", "--tui", "--max-queries", "1000", "--max-tokens", "8", "--threads", "1", "--baseline", "0",
            "--dataset-option", "subjects=math", "--output-dir", "runs"]);
        tmux.WaitFor(s => Tmux.QueriesDone(s) >= 1 && s.Contains("system: works"), "a query on the full-size screen");
        tmux.Resize(60, 16);
        // The whole small frame: a capture can land while the terminal is still being redrawn (rows before the header).
        var screen = tmux.WaitFor(s => s.Split('\n').All(l => l.Length <= 60) && !s.Contains("system: works") && s.Contains("q stop")
            && s.Contains("llamasharp · ipw-tiny") && s.Contains("queries "), "the small layout with the header, the progress and the keys");
        Assert.Contains(screen.Split('\n'), l => l.Contains("llamasharp · ipw-tiny"));
        Assert.Contains(screen.Split('\n'), l => l.Contains("queries "));
        tmux.Resize(120, 40);
        tmux.WaitFor(s => s.Contains("system: works") && s.Contains("memory (GiB"), "the full layout again");
        tmux.Keys("q");
        Assert.Equal(0, tmux.WaitForExit());
    }

    [Fact]
    public void Monitor_browses_and_replays_a_finished_run()
    {
        var made = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "6", "--max-tokens", "8", "--threads", "1", "--baseline", "0",
            "--dataset-option", "subjects=math", "--output-dir", "runs"]);
        Assert.True(made.ExitCode == 0, made.Stderr);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();

        using (var tmux = new Tmux(_work.Path, ["monitor", run]))
        {
            // The whole first frame: a capture can land while the terminal is still being drawn.
            var screen = tmux.WaitFor(s => s.Contains("completed: 6 queries saved in") && s.Contains("q quit") && QueryRow().Matches(s).Count == 6,
                "the run's outcome, the key help and the six queries");
            Assert.Contains("queries 6/6 (100 %) · errors 0", screen);
            Assert.Contains("q quit", screen);
            Assert.Equal(6, QueryRow().Matches(screen).Count);
            tmux.Keys("3");
            tmux.WaitFor(s => s.Contains("memory (GiB, whole run)") && s.Contains("process_rss_bytes"), "the charts");
            tmux.Keys("q");
            Assert.Equal(0, tmux.WaitForExit());
        }
        using (var tmux = new Tmux(_work.Path, ["monitor", run, "--replay", "--speed", "20"]))
        {
            tmux.WaitFor(s => s.Contains("completed: 6 queries saved in") && QueryRow().Matches(s).Count == 6, "the replay's end", seconds: 120);
            tmux.Keys("q");
            Assert.Equal(0, tmux.WaitForExit());
        }
    }

    [Fact]
    public void Without_a_terminal_tui_falls_back_to_plain_progress_and_monitor_prints_the_overview()
    {
        var r = IpwProcess.Run(_work.Path, ["profile", "--tui", "--max-queries", "2", "--max-tokens", "4", "--threads", "1", "--baseline", "0", "--output-dir", "runs"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("ipw: --tui needs a terminal (output is redirected); showing plain progress instead", r.Stderr.Trim());
        Assert.Contains("[2/2] errors 0", r.Stdout);
        var run = Directory.GetDirectories(_work.Combine("runs")).Single();
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))))
            Assert.Equal("plain", summary.RootElement.GetProperty("config").GetProperty("front_end").GetString());

        var m = IpwProcess.Run(_work.Path, ["monitor", run]);
        Assert.True(m.ExitCode == 0, m.Stderr);
        Assert.Contains("printing the run's overview instead", m.Stderr);
        Assert.Contains("queries 2/2 (100 %) · errors 0", m.Stdout);
        Assert.Contains("llamasharp · ipw-tiny", m.Stdout);
        var lines = m.Stdout.Split('\n');
        var energy = Assert.Single(lines, l => l.StartsWith("energy: ", StringComparison.Ordinal));
        Assert.DoesNotContain("energy: no energy", energy);
        // The query table: every row's cells end where the header's do.
        var header = Array.FindIndex(lines, l => l.TrimStart().StartsWith("#  subject", StringComparison.Ordinal));
        Assert.True(header > 0, m.Stdout);
        foreach (var name in new[] { "ttft ms", "e2e ms", "tok/s" })
        {
            var end = lines[header].IndexOf(name, StringComparison.Ordinal) + name.Length - 1;
            foreach (var row in lines[(header + 1)..(header + 3)])
                Assert.True(char.IsDigit(row[end]) && (end + 1 == row.Length || row[end + 1] == ' '), $"'{name}' misaligned:\n{lines[header]}\n{row}");
        }

        // A run cut short shows what it planned, not what it recorded as the total.
        var summaryFile = Path.Combine(run, "summary.json");
        File.WriteAllText(summaryFile, File.ReadAllText(summaryFile).Replace("\"planned_queries\": 2", "\"planned_queries\": 5"));
        var cut = IpwProcess.Run(_work.Path, ["monitor", run]);
        Assert.Contains("queries 2/5 (40 %)", cut.Stdout);

        var bad = IpwProcess.Run(_work.Path, ["monitor", _work.Path]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Single(bad.Stderr.Trim().Split('\n'));
        Assert.StartsWith("ipw: error: ", bad.Stderr);
    }

    [Fact]
    public void Colour_shows_on_a_terminal_unless_no_color_or_NO_COLOR_says_otherwise()
    {
        string[] run = ["profile", "--progress", "bar", "--max-queries", "2", "--max-tokens", "4", "--threads", "1", "--baseline", "0", "--output-dir", "runs"];
        string Screen(string[] args, IDictionary<string, string>? env = null)
        {
            using var tmux = new Tmux(_work.Path, args, env: env);
            Assert.Equal(0, tmux.WaitForExit(120));
            return tmux.CaptureWithEscapes();
        }
        var colour = new System.Text.RegularExpressions.Regex(@"\x1b\[[0-9;]*(?:3[0-8]|4[0-8]|9[0-7])[;m]");
        Assert.Matches(colour, Screen(run));                                                  // the progress bar's colours
        Assert.DoesNotMatch(colour, Screen([.. run, "--no-color"]));
        Assert.DoesNotMatch(colour, Screen(run, new Dictionary<string, string> { ["NO_COLOR"] = "1" }));
    }

    public void Dispose() => _work.Dispose();
}
