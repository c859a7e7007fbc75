using System.Globalization;
using System.Text.Json;
using SkiaSharp;

namespace Ipw.Cli.Tests;

/// <summary><c>ipw plot</c> and <c>ipw report</c> through the real binary: a run with energy (the NVML stand-in) and one
/// without, figures checked by their pixels with no system fonts, and the report opened in headless Chromium.</summary>
public sealed class PlotEndToEndTests : IDisposable
{
    private readonly TempDir _work = new();
    private static string StandinDir => Path.Combine(IpwProcess.RepoRoot, "artifacts", "native", "nvml-standin");

    /// <summary>A fontconfig that knows no fonts: what a fresh machine without fonts gives the renderer.</summary>
    private Dictionary<string, string> NoFonts()
    {
        File.WriteAllText(_work.Combine("fonts.conf"), "<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n");
        return new() { ["FONTCONFIG_FILE"] = _work.Combine("fonts.conf") };
    }

    private string ProfileWithEnergy()
    {
        File.WriteAllLines(_work.Combine("gpu.conf"), ["devices=1", "name=NVIDIA H100 80GB HBM3", "power_low_mw=90000", "power_high_mw=240000", "energy_step_ms=10"]);
        var env = new Dictionary<string, string>
        {
            ["LD_LIBRARY_PATH"] = StandinDir,
            ["IPW_NVML_STANDIN_CONFIG"] = _work.Combine("gpu.conf"),
            ["IPW_POWERCAP_ROOT"] = _work.Combine("no-rapl"),
        };
        var r = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "8", "--max-tokens", "24", "--threads", "1", "--output-dir", "gpu",
            "--dataset-param", "subjects=math,extraction", "--baseline", "0"], env);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return Directory.GetDirectories(_work.Combine("gpu")).Single();
    }

    private string ProfileWithoutEnergy()
    {
        var r = IpwProcess.Run(_work.Path, ["profile", "--max-queries", "6", "--max-tokens", "12", "--threads", "1", "--output-dir", "cpu",
            "--dataset-param", "subjects=math,extraction", "--baseline", "0"], new Dictionary<string, string> { ["IPW_POWERCAP_ROOT"] = _work.Combine("no-rapl") });
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return Directory.GetDirectories(_work.Combine("cpu")).Single();
    }

    /// <summary>Dark pixels in the band where the title is drawn: zero when no text could be rendered.</summary>
    private static int TitleInk(string png)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((1000, 620), (bitmap.Width, bitmap.Height));
        var ink = 0;
        for (var y = 4; y < 34; y++)
            for (var x = 200; x < 800; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 3 * 128) ink++;
            }
        return ink;
    }

    [Fact]
    public void The_figures_say_what_the_data_is_identical_lengths_a_wide_latency_span_and_a_fit_with_units()
    {
        // The built-in model writes exactly max_tokens every time, and its TTFT spans 100× from short prompts to the
        // summarization items: a density of one value would be a made-up bell, and a linear axis would hide the fast ones.
        var run = ProfileWithoutEnergy();
        var r = IpwProcess.Run(_work.Path, ["plot", run, "--visualization", "distributions,regression", "--format", "svg"]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var plots = Path.Combine(run, "plots");
        var lengths = File.ReadAllText(Path.Combine(plots, "output_length.svg"));
        Assert.Contains("every output is 12 tokens", lengths);
        Assert.DoesNotContain("density", lengths.Replace("a density would invent", ""));
        var cdf = File.ReadAllText(Path.Combine(plots, "latency_cdf.svg"));
        var rows = ArrowJs.Read(Path.Combine(run, "data-00000-of-00001.arrow")).GetProperty("rows").EnumerateArray().ToList();
        var e2e = rows.Select(x => x.GetProperty("e2e_latency_s").GetDouble()).Concat(rows.Select(x => x.GetProperty("ttft_s").GetDouble())).ToList();
        Assert.Equal(e2e.Max() / e2e.Min() > 10, cdf.Contains("log axis", StringComparison.Ordinal));
        var fit = File.ReadAllText(Path.Combine(plots, "regression_latency_vs_input_tokens.svg"));
        Assert.Matches(@"fit: [\d.]+ (ms|µs|s) per token, R²", fit);
        Assert.Contains("95 % band of the fit", fit);
    }

    [Fact]
    public void Every_figure_is_drawn_with_readable_text_on_a_machine_without_fonts()
    {
        Assert.True(File.Exists(Path.Combine(StandinDir, "libnvidia-ml.so.1")), "the NVML stand-in was not built");
        var run = ProfileWithEnergy();
        var r = IpwProcess.Run(_work.Path, ["plot", run], NoFonts());
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var label = Path.GetFileName(run)["profile_".Length..];
        string[] expected =
        [
            "regression_energy_vs_total_tokens.png", "regression_latency_vs_input_tokens.png", "regression_ttft_vs_input_tokens.png",
            "regression_power_vs_total_tokens.png", "output_length.png", "latency_cdf.png", "energy_histogram.png", $"timeline_{label}.png",
        ];
        var plots = Path.Combine(run, "plots");
        Assert.Equal(expected.Order(), Directory.GetFiles(plots).Select(Path.GetFileName).Order());
        foreach (var file in expected)
            Assert.True(TitleInk(Path.Combine(plots, file)) > 200, $"{file}: no title text drawn");

        var svg = IpwProcess.Run(_work.Path, ["plot", run, "--format", "svg", "--visualization", "regression", "--output", "svg"], NoFonts());
        Assert.True(svg.ExitCode == 0, svg.Stderr + svg.Stdout);
        var text = File.ReadAllText(_work.Combine("svg", "regression_energy_vs_total_tokens.svg"));
        Assert.StartsWith("<?xml", text);
        Assert.Contains("font-family=\"Inter\"", text);
        Assert.Contains("Energy per query vs total tokens", text);
        // Each drawn point carries a title over it: the invisible circles sit where ScottPlot drew the points (to the
        // tenth of a pixel it writes), one per point, each naming its run, item, tokens and energy.
        var dots = System.Text.RegularExpressions.Regex.Matches(text, "<ellipse[^>]* cx=\"([\\d.]+)\" cy=\"([\\d.]+)\"")
            .Select(m => (X: double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Y: double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
        var hovers = System.Text.RegularExpressions.Regex.Matches(text, "<circle cx=\"([\\d.]+)\" cy=\"([\\d.]+)\" r=\"6\"><title>([^<]*)</title>")
            .Select(m => (X: double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Y: double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Title: m.Groups[3].Value)).ToList();
        Assert.Equal(8, hovers.Count);
        Assert.True(dots.Count >= 8, $"{dots.Count} points drawn"); // and the legend's marker
        Assert.All(hovers, h => Assert.Contains(dots, d => Math.Abs(d.X - h.X) <= 0.06 && Math.Abs(d.Y - h.Y) <= 0.06));
        Assert.All(hovers, h => Assert.Matches(@"^[^,:]+, [^:]+: [\d,]+ tokens, [\d.]+ [mµ]?J$", h.Title));
    }

    [Fact]
    public void Runs_are_overlaid_and_the_report_renders_in_chromium_with_every_image()
    {
        var gpu = ProfileWithEnergy();
        var cpu = ProfileWithoutEnergy();
        var r = IpwProcess.Run(_work.Path, ["plot", gpu, cpu, "--output", "both"], NoFonts());
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("note: energy_histogram: " + Path.GetFileName(cpu)["profile_".Length..] + " has no energy per query", r.Stdout);
        Assert.True(File.Exists(_work.Combine("both", "latency_cdf.png")));
        Assert.Single(Directory.GetFiles(_work.Combine("both"), "timeline_*.png")); // only the GPU run recorded power

        var report = IpwProcess.Run(_work.Path, ["report", gpu, cpu, "--output", "report.html"], NoFonts());
        Assert.True(report.ExitCode == 0, report.Stderr + report.Stdout);
        var html = _work.Combine("report.html");
        Assert.True(File.Exists(html));
        var figures = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(gpu)!, "..", "plots"), "*.svg").Length;
        Assert.True(File.Exists("/usr/bin/chromium") || Environment.GetEnvironmentVariable("IPW_CHROMIUM") is not null,
            "Chromium is not installed: .ci/run installs Debian's chromium package");
        var seen = JsonDocument.Parse(IpwProcess.RunTool("node", Path.Combine(IpwProcess.RepoRoot, "tests", "arrow-js"), "check-report.mjs", html)).RootElement;
        Assert.Equal("ipw report", seen.GetProperty("title").GetString());
        // Every figure is inline SVG drawn at its size with its shapes, titled points hover, and no id is used twice.
        Assert.Equal(0, seen.GetProperty("images").GetInt32());
        var svgs = seen.GetProperty("svgs").EnumerateArray().ToList();
        Assert.True(figures >= 7, $"{figures} figures");
        Assert.Equal(figures, svgs.Count);
        Assert.All(svgs, s => Assert.Equal([1000.0, 620.0], s.GetProperty("box").EnumerateArray().Select(v => v.GetDouble())));
        Assert.All(svgs, s => Assert.True(s.GetProperty("drawn")[0].GetInt32() > 500 && s.GetProperty("drawn")[1].GetInt32() > 300, s.ToString()));
        Assert.All(svgs, s => Assert.True(s.GetProperty("shapes").GetInt32() > 10, s.ToString()));
        Assert.True(svgs.Count(s => s.GetProperty("titles").GetInt32() > 0) >= 5, seen.GetProperty("svgs").ToString());
        var ids = seen.GetProperty("ids").EnumerateArray().Select(i => i.GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Matches(@"^[^,:]+, [^:]+: [\d,]+ tokens, ", seen.GetProperty("hovered").GetString());
        Assert.Equal("0.3", seen.GetProperty("hoverOpacity").GetString());
        Assert.Contains("Comparison", seen.GetProperty("headings").EnumerateArray().Select(h => h.GetString()));
        Assert.True(seen.GetProperty("tables").GetInt32() >= 2);
        // The analyses' tables are real tables, and a click on a column sorts them by its numbers, then the other way.
        Assert.True(seen.GetProperty("sortableTables").GetInt32() >= 6, seen.ToString());
        var up = seen.GetProperty("sortedUp").EnumerateArray().Select(x => x.GetDouble()).ToList();
        Assert.True(up.Count >= 4, seen.ToString());
        Assert.Equal(up.Order(), up);
        Assert.Equal(up.OrderDescending(), seen.GetProperty("sortedDown").EnumerateArray().Select(x => x.GetDouble()));
        Assert.Equal(0, seen.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public void A_folder_that_is_not_a_run_is_one_line()
    {
        Directory.CreateDirectory(_work.Combine("empty"));
        var r = IpwProcess.Run(_work.Path, ["plot", "empty"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'empty' is not a run folder", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var f = IpwProcess.Run(_work.Path, ["plot", "empty", "--format", "gif"]);
        Assert.Equal(2, f.ExitCode);
        Assert.Contains("--format must be png or svg, got 'gif'", f.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
