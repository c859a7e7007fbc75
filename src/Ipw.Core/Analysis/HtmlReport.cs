using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ipw.Abstractions;

namespace Ipw.Core.Analysis;

/// <summary>
/// A single-file HTML report: each run's summary (model, hardware, queries, energy source), its analyses' tables and
/// warnings, the side-by-side comparison, and every PNG figure embedded as a data URI, so the file can be mailed or
/// archived alone.
/// </summary>
public static class HtmlReport
{
    public static string Write(string path, AnalyzeOutcome analyses, PlotOutcome plots)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ipw report</title>\n<style>")
         .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:12px}")
         .Append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}th:first-child,td:first-child{text-align:left}")
         .Append("img{max-width:100%;border:1px solid #eee;margin:.5em 0}.warn{color:#a40}</style></head><body>\n");
        h.Append("<h1>ipw report</h1>\n<p>Generated ").Append(E(DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture))).Append(" from ")
         .Append(analyses.Runs.Count).Append(analyses.Runs.Count == 1 ? " run" : " runs").Append(".</p>\n");

        h.Append("<h2>Runs</h2>\n<table><tr><th>run</th><th>model</th><th>hardware</th><th>dataset</th><th>queries</th><th>status</th><th>energy</th></tr>\n");
        foreach (var r in analyses.Runs)
        {
            var s = r.Run.Summary;
            h.Append("<tr><td>").Append(E(r.Run.Label)).Append("</td><td>").Append(E(s.Model?.Label))
             .Append("</td><td>").Append(E(s.Hardware?.Label ?? s.Hardware?.Cpu))
             .Append("</td><td>").Append(E(s.Dataset?.Identity ?? s.Dataset?.Name))
             .Append("</td><td>").Append(r.Run.RecordCount.ToString("N0", CultureInfo.InvariantCulture))
             .Append("</td><td>").Append(E(s.Status))
             .Append("</td><td>").Append(E(s.Energy?.Available == true ? "measured" : "not measured: " + (s.Energy?.Reason ?? "unknown")))
             .Append("</td></tr>\n");
        }
        h.Append("</table>\n");

        if (analyses.Comparison is { } comparison)
        {
            h.Append("<h2>Comparison</h2>\n<table><tr><th>metric</th>");
            foreach (var run in comparison["runs"]!.AsArray()) h.Append("<th>").Append(E(run!["label"]!.GetValue<string>())).Append("</th>");
            h.Append("</tr>\n");
            foreach (var (key, values) in comparison["metrics"]!.AsObject())
            {
                h.Append("<tr><td>").Append(E(key)).Append("</td>");
                foreach (var v in values!.AsArray()) h.Append("<td>").Append(v is null ? "n/a" : v.GetValue<double>().ToString("G5", CultureInfo.InvariantCulture)).Append("</td>");
                h.Append("</tr>\n");
            }
            h.Append("</table>\n");
        }

        if (analyses.AcrossRuns.Count > 0)
        {
            h.Append("<h2>Across runs</h2>\n");
            Sections(h, analyses.AcrossRuns);
        }

        foreach (var r in analyses.Runs)
        {
            h.Append("<h2>").Append(E(r.Run.Label)).Append("</h2>\n");
            Sections(h, r.Analyses);
        }

        h.Append("<h2>Figures</h2>\n");
        foreach (var v in plots.Visualizations)
        {
            if (v.Result is null) { h.Append("<p class=\"warn\">").Append(E(v.Name)).Append(" failed: ").Append(E(v.Failure)).Append("</p>\n"); continue; }
            foreach (var file in v.Result.Files)
            {
                var mime = file.EndsWith(".svg", StringComparison.Ordinal) ? "image/svg+xml" : "image/png";
                h.Append("<figure><img alt=\"").Append(E(Path.GetFileNameWithoutExtension(file))).Append("\" src=\"data:").Append(mime).Append(";base64,")
                 .Append(Convert.ToBase64String(File.ReadAllBytes(file))).Append("\"><figcaption>").Append(E(Path.GetFileName(file))).Append("</figcaption></figure>\n");
            }
            foreach (var note in v.Result.Notes) h.Append("<p class=\"warn\">").Append(E(note)).Append("</p>\n");
        }
        h.Append("</body></html>\n");
        AtomicFile.WriteAllText(path, h.ToString());
        return path;
    }


    /// <summary>Each analysis's table and warnings, or why it failed.</summary>
    private static void Sections(StringBuilder h, IReadOnlyList<AnalysisRun> analyses)
    {
        foreach (var a in analyses)
        {
            h.Append("<h3>").Append(E(a.Name)).Append("</h3>\n");
            if (a.Result is null) { h.Append("<p class=\"warn\">failed: ").Append(E(a.Failure)).Append("</p>\n"); continue; }
            h.Append("<pre>").Append(E(a.Result.Table)).Append("</pre>\n");
            foreach (var w in a.Result.Warnings) h.Append("<p class=\"warn\">warning: ").Append(E(w)).Append("</p>\n");
        }
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
