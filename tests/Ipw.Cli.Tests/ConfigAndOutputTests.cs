using System.Text.Json;

namespace Ipw.Cli.Tests;

/// <summary><c>ipw profile --config</c>, <c>--print-config</c>, <c>--json</c>, <c>--label</c>/<c>--tag</c> and the grouped
/// help, through the real binary.</summary>
public sealed class ConfigAndOutputTests : IDisposable
{
    private readonly TempDir _work = new();

    private IpwProcess.Result Ipw(params string[] args) => IpwProcess.Run(_work.Path, args);

    [Fact]
    public void A_config_file_runs_with_command_line_overrides_and_the_run_keeps_what_reproduces_it()
    {
        File.WriteAllText(_work.Combine("bench.toml"), """
            # a short run on the built-in model
            max-queries = 2
            max-tokens = 6
            threads = 1
            baseline = "0"
            label = "cfg"
            concurrency = [1]

            [dataset-param]   # an alias of dataset-option
            subjects = "math"

            [tag]
            team = "perf"
            """);
        var r = Ipw("profile", "--config", "bench.toml", "-n", "3", "--tag", "round=1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("run saved to", r.Stderr); // the report goes to stderr with --json
        using var summary = JsonDocument.Parse(r.Stdout); // stdout is one JSON document: summary.json
        var config = summary.RootElement.GetProperty("config");
        Assert.Equal(3, config.GetProperty("max_queries").GetInt32());      // the command line won
        Assert.Equal(6, config.GetProperty("max_tokens").GetInt32());       // the file's
        Assert.Equal("cfg", config.GetProperty("label").GetString());
        Assert.Equal("perf", config.GetProperty("tags").GetProperty("team").GetString());
        Assert.Equal("1", config.GetProperty("tags").GetProperty("round").GetString());
        Assert.Equal("math", config.GetProperty("dataset_settings").GetProperty("subjects").GetString());
        Assert.Equal(3, summary.RootElement.GetProperty("counts").GetProperty("ok").GetInt32());

        var run = Assert.Single(Directory.GetDirectories(_work.Combine("runs")));
        Assert.EndsWith("_ipw-tiny_cfg", run);
        var kept = File.ReadAllText(Path.Combine(run, "config.toml"));
        Assert.Contains("max-queries = 3\n", kept);
        Assert.Contains("[tag]\nteam = \"perf\"\nround = \"1\"\n", kept);

        // The kept file is a config: printed back through --config it is the same options.
        var again = Ipw("profile", "--config", Path.Combine(run, "config.toml"), "--print-config");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(kept, again.Stdout);
        Assert.Single(Directory.GetDirectories(_work.Combine("runs"))); // --print-config runs nothing
    }

    [Fact]
    public void Print_config_shows_defaults_and_aliases_and_leaves_secrets_out()
    {
        var r = Ipw("profile", "-m", "my.gguf", "-n", "7", "-c", "2", "-o", "elsewhere", "--client-param", "header.Authorization=Bearer sk-123",
            "--client-param", "api_key=sk-456", "--client-param", "temperature=0.1", "--client-param", "max_tokens_cap=64", "--client-base-url", "http://user:pw@host:8000/v1", "--print-config");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("model = \"my.gguf\"\n", r.Stdout);
        Assert.Contains("max-queries = 7\n", r.Stdout);
        Assert.Contains("concurrency = \"2\"\n", r.Stdout);
        Assert.Contains("output-dir = \"elsewhere\"\n", r.Stdout);
        Assert.Contains("max-tokens = 128\n", r.Stdout);           // a default is part of the effective config
        Assert.Contains("client-base-url = \"http://host:8000/v1\"\n", r.Stdout);
        Assert.Contains("[client-param]\ntemperature = \"0.1\"\nmax_tokens_cap = \"64\"\n", r.Stdout); // "tokens" is no secret
        Assert.Contains("# client-param.header.Authorization: secret, not written", r.Stdout);
        Assert.Contains("# client-param.api_key: secret, not written", r.Stdout);
        Assert.DoesNotContain("sk-", r.Stdout);
        Assert.DoesNotContain("pw@", r.Stdout);
    }

    [Theory]
    [InlineData("max-querys = 2\n", "bench.toml: unknown option 'max-querys'; did you mean 'max-queries'?")]
    [InlineData("max-queries = \n", "bench.toml:1:15: not valid TOML: Missing value after `=`.")]
    [InlineData("max-queries = \"lots\"\n", "--max-queries: 'lots' is not a whole number")]
    [InlineData("seed = 1979-05-27T07:32:00Z\n", "bench.toml: 'seed' must be a string, number, boolean or list of them, got TomlDateTime")]
    public void A_bad_config_file_is_one_line_and_exit_2(string toml, string message)
    {
        File.WriteAllText(_work.Combine("bench.toml"), toml);
        var r = Ipw("profile", "--config", "bench.toml");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"ipw: error: {message}", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Split(" (see")[0]);
        Assert.False(Directory.Exists(_work.Combine("runs")));
    }

    [Fact]
    public void A_missing_config_file_and_a_bad_label_are_refused()
    {
        var missing = Ipw("profile", "--config", "nope.toml");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("ipw: error: --config nope.toml: no such file", missing.Stderr.Trim());
        var label = Ipw("profile", "--label", "a/b", "-o", "runs");
        Assert.Equal(2, label.ExitCode);
        Assert.Contains("--label 'a/b': use 1 to 64 letters, digits", label.Stderr);
    }

    [Fact]
    public void Profile_help_groups_every_option_under_a_heading()
    {
        var r = Ipw("profile", "--help");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var headings = r.Stdout.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(' ') && l.EndsWith(':')).ToList();
        Assert.Equal(["Description:", "Usage:", "Model and client:", "Agent:", "Workload:", "Load:", "Telemetry and energy:", "Metrics:", "Cost, carbon and FLOPs:", "Judge:", "Output:",
            "Config files:", "Other:"], headings);
        Assert.Contains("  -n, --max-queries <max-queries>", r.Stdout);
        Assert.Contains("  -c, --concurrency <concurrency>", r.Stdout);
        Assert.Contains("  -o, --output-dir <output-dir>", r.Stdout);
        Assert.Contains("  -m, --model <model>", r.Stdout);
        Assert.Contains("  --keep-text <true|false>", r.Stdout);
        Assert.Contains("[default: 128]", r.Stdout);
        var other = r.Stdout[r.Stdout.IndexOf("\nOther:", StringComparison.Ordinal)..];
        Assert.Contains("-h, --help", other); // only the root's options are left outside the groups
        Assert.Contains("--no-color", other);
        Assert.Equal(2, other.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("  -", StringComparison.Ordinal)));
    }

    [Fact]
    public void Every_commands_options_in_docs_are_the_ones_its_help_prints()
    {
        var doc = File.ReadAllText(Path.Combine(IpwProcess.RepoRoot, "docs", "commands.md")).ReplaceLineEndings("\n");
        var commands = Ipw("help-markdown", "--list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("energy test", commands);
        var stale = new List<string>();
        foreach (var command in commands)
        {
            var generated = Ipw(["help-markdown", .. command.Split(' ')]).Stdout;
            string begin = $"<!-- options:{command}:begin -->\n", end = $"<!-- options:{command}:end -->";
            var (from, to) = (doc.IndexOf(begin, StringComparison.Ordinal), doc.IndexOf(end, StringComparison.Ordinal));
            if (from < 0 || to < from || doc[(from + begin.Length)..to].Trim() != generated.Trim())
                stale.Add($"{begin}{generated}{end}");
        }
        Assert.True(stale.Count == 0, "docs/commands.md's options tables are missing or out of date (ipw help-markdown COMMAND makes them):\n" + string.Join("\n\n", stale));

        var generatedProfile = Ipw("help-markdown", "profile").Stdout;
        var help = Ipw("profile", "--help").Stdout;
        var usages = System.Text.RegularExpressions.Regex.Matches(help, @"^  (-[^ ,]+(?:, -[^ ,]+)*)", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(usages.Count > 40, help);
        foreach (System.Text.RegularExpressions.Match usage in usages) Assert.Contains($"| `{usage.Groups[1].Value}", generatedProfile);
    }

    public void Dispose() => _work.Dispose();
}
