using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ipw.Abstractions;

namespace Ipw.Core.Analysis;

/// <summary>
/// A single-file HTML report: each run's summary (model, hardware, queries, energy source), its analyses' tables (real
/// tables, sortable by a click on a column's name) and warnings, the analyses across runs, the side-by-side comparison,
/// and every figure in the file itself (SVG inline, with the titles a point shows on hover; PNG as a data URI), so the
/// file can be mailed or archived alone.
/// </summary>
public static class HtmlReport
{
    public static string Write(string path, AnalyzeOutcome analyses, PlotOutcome plots)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ipw report</title>\n<style>")
         .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:12px}")
         .Append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}th:first-child,td:first-child{text-align:left}")
         .Append("img,figure svg{max-width:100%;height:auto;border:1px solid #eee;margin:.5em 0}figure svg text{font-family:Inter,system-ui,sans-serif}.warn{color:#a40}th{cursor:pointer;background:#f3f3f3}")
         .Append("th[aria-sort]::after{content:' \\2195';color:#999}.note{color:#555;font-size:90%}</style>\n")
         .Append(SortScript).Append("</head><body>\n");
        h.Append("<h1>ipw report</h1>\n<p>Generated ").Append(E(DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture))).Append(" from ")
         .Append(analyses.Runs.Count).Append(analyses.Runs.Count == 1 ? " run" : " runs").Append(".</p>\n");

        h.Append("<h2>Runs</h2>\n<table class=\"sortable\"><thead><tr><th>run</th><th>model</th><th>hardware</th><th>dataset</th><th>queries</th><th>status</th><th>energy</th></tr></thead><tbody>\n");
        // Why energy is missing is said once under the table, numbered, not in every row.
        var reasons = new List<string>();
        foreach (var r in analyses.Runs)
        {
            var s = r.Run.Summary;
            h.Append("<tr><td>").Append(E(r.Run.Label)).Append("</td><td>").Append(E(s.Model?.Label))
             .Append("</td><td>").Append(E(s.Hardware?.Label ?? s.Hardware?.Cpu))
             .Append("</td><td>").Append(E(s.Dataset?.Identity ?? s.Dataset?.Name))
             .Append("</td><td>").Append(r.Run.RecordCount.ToString("N0", CultureInfo.InvariantCulture))
             .Append("</td><td>").Append(E(s.Status))
             .Append("</td><td>");
            if (s.Energy?.Available == true) h.Append("measured");
            else
            {
                var reason = s.Energy?.Reason ?? "unknown";
                if (!reasons.Contains(reason)) reasons.Add(reason);
                h.Append("not measured <sup>").Append(reasons.IndexOf(reason) + 1).Append("</sup>");
            }
            h.Append("</td></tr>\n");
        }
        h.Append("</tbody></table>\n");
        foreach (var (reason, k) in reasons.Select((x, k) => (x, k)))
            h.Append("<p class=\"note\"><sup>").Append(k + 1).Append("</sup> ").Append(E(reason)).Append("</p>\n");

        if (analyses.Comparison is { } comparison)
        {
            h.Append("<h2>Comparison</h2>\n<table class=\"sortable\"><thead><tr><th>metric</th>");
            foreach (var run in comparison["runs"]!.AsArray()) h.Append("<th>").Append(E(run!["label"]!.GetValue<string>())).Append("</th>");
            h.Append("</tr></thead><tbody>\n");
            foreach (var (key, values) in comparison["metrics"]!.AsObject())
            {
                h.Append("<tr><td>").Append(E(key)).Append("</td>");
                foreach (var v in values!.AsArray()) h.Append("<td>").Append(v is null ? "n/a" : Number(v.GetValue<double>())).Append("</td>");
                h.Append("</tr>\n");
            }
            h.Append("</tbody></table>\n");
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
        var figure = 0;
        foreach (var v in plots.Visualizations)
        {
            if (v.Result is null) { h.Append("<p class=\"warn\">").Append(E(v.Name)).Append(" failed: ").Append(E(v.Failure)).Append("</p>\n"); continue; }
            foreach (var file in v.Result.Files)
            {
                h.Append("<figure>");
                if (file.EndsWith(".svg", StringComparison.Ordinal)) h.Append(InlineSvg.Of(File.ReadAllText(file), ++figure, Path.GetFileNameWithoutExtension(file)));
                else
                    h.Append("<img alt=\"").Append(E(Path.GetFileNameWithoutExtension(file))).Append("\" src=\"data:image/png;base64,")
                     .Append(Convert.ToBase64String(File.ReadAllBytes(file))).Append("\">");
                h.Append("<figcaption>").Append(E(Path.GetFileName(file))).Append("</figcaption></figure>\n");
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
            if (a.Result.Tables.Count == 0) h.Append("<pre>").Append(E(a.Result.Table)).Append("</pre>\n");
            foreach (var t in a.Result.Tables) Table(h, t);
            foreach (var w in a.Result.Warnings) h.Append("<p class=\"warn\">warning: ").Append(E(w)).Append("</p>\n");
        }
    }

    private static void Table(StringBuilder h, ResultTable t)
    {
        h.Append("<table class=\"sortable\"><thead><tr>");
        foreach (var c in t.Header) h.Append("<th>").Append(E(c)).Append("</th>");
        h.Append("</tr></thead><tbody>\n");
        foreach (var row in t.Rows)
        {
            h.Append("<tr>");
            foreach (var c in row) h.Append("<td>").Append(E(c)).Append("</td>");
            h.Append("</tr>\n");
        }
        h.Append("</tbody></table>\n");
        if (t.Note is { } note) h.Append("<p class=\"note\">").Append(E(note)).Append("</p>\n");
    }

    /// <summary>A comparison's number with four significant digits, thousands separated: the same precision in every cell.</summary>
    private static string Number(double v) =>
        Math.Abs(v) >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture) : v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Sorts a table by the column whose name is clicked (again: the other way): by the number a cell starts with
    /// where it has one (units and thousands separators ignored), else by its text; n/a last.</summary>
    private const string SortScript = """
        <script>
        document.addEventListener('click', e => {
          const th = e.target.closest('table.sortable th'); if (!th) return;
          const table = th.closest('table'), body = table.tBodies[0], col = th.cellIndex;
          const up = th.getAttribute('aria-sort') !== 'ascending';
          table.querySelectorAll('th').forEach(x => x.removeAttribute('aria-sort'));
          th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
          const key = r => { const t = r.cells[col]?.textContent.trim() ?? ''; const n = parseFloat(t.replace(/[,\s]/g, '').replace('\u2212', '-'));
            return t === 'n/a' || t === '' ? null : isNaN(n) ? t : n; };
          const rows = Array.from(body.rows).sort((a, b) => { const x = key(a), y = key(b);
            if (x === null) return 1; if (y === null) return -1;
            const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
            return up ? c : -c; });
          rows.forEach(r => body.appendChild(r));
        });
        </script>

        """;

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
