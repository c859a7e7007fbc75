using System.Globalization;
using System.Text;
using Ipw.Abstractions;

namespace IpwPlugin1;

/// <summary>Each query's end-to-end latency as bars in an SVG file: replace with your figure (ScottPlot and any other
/// library are yours to reference; they are copied beside the plugin).</summary>
internal sealed class LatencyBars : IVisualization
{
    public Task<VisualizationResult> RenderAsync(AnalysisContext context, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        foreach (var run in context.Runs)
        {
            var e2e = run.Columns.Contains("e2e_latency_s") ? run.Numbers("e2e_latency_s") : [];
            var max = e2e.Where(double.IsFinite).DefaultIfEmpty(1).Max();
            var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Math.Max(1, e2e.Length) * 12}\" height=\"120\">");
            for (var i = 0; i < e2e.Length; i++)
            {
                if (!double.IsFinite(e2e[i])) continue; // a missing latency is no bar, not a bar of 0
                var h = (100 * e2e[i] / max).ToString("F1", CultureInfo.InvariantCulture);
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{i * 12}\" y=\"{100 - 100 * e2e[i] / max:F1}\" width=\"10\" height=\"{h}\" fill=\"steelblue\"/>");
            }
            svg.Append("</svg>");
            files.Add(context.Output.Write($"ipwplugin1_{run.Label}.svg", Encoding.UTF8.GetBytes(svg.ToString())));
        }
        return Task.FromResult(new VisualizationResult(files, []));
    }
}
