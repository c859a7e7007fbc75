using System.Globalization;
using System.Net;
using System.Text;
using ScottPlot;

namespace Ipw.Plugins.Plots;

/// <summary>
/// What a reader sees on hovering a figure's point in SVG output (the HTML report inlines the SVG): each point says its
/// run and values in a <c>&lt;title&gt;</c>. ScottPlot's SVG is drawn paths with no per-point elements, so after it is
/// drawn, an invisible circle is laid over each point at the pixel the plot's own axes put it (<see cref="Plot.GetPixel"/>
/// after the render), inside a group of class <c>ipw-hover</c>. PNG output has no layer.
/// </summary>
internal sealed class HoverLayer
{
    /// <summary>At most this many points carry a title in one figure (a large run's every point would make the report
    /// megabytes of titles); past it, a seeded sample of them (docs/commands.md says so).</summary>
    public const int MaxPoints = 2_000;

    private readonly List<(double X, double Y, string Text)> _points = [];

    /// <summary>Adds a point in the plot's own coordinates (a log axis's already as log10).</summary>
    public void Add(double x, double y, string text)
    {
        if (double.IsFinite(x) && double.IsFinite(y)) _points.Add((x, y, text));
    }

    /// <summary><paramref name="svg"/>, just drawn from <paramref name="plot"/>, with the layer added before its end.</summary>
    public string Apply(Plot plot, string svg)
    {
        if (_points.Count == 0) return svg;
        var shown = _points.Count <= MaxPoints ? _points : Figure.Thin([.. Enumerable.Range(0, _points.Count)], MaxPoints).Select(i => _points[i]).ToList();
        var layer = new StringBuilder("<g class=\"ipw-hover\"><style>.ipw-hover circle{fill:#000;fill-opacity:0}.ipw-hover circle:hover{fill-opacity:.3}</style>\n");
        foreach (var (x, y, text) in shown)
        {
            var p = plot.GetPixel(new Coordinates(x, y));
            layer.Append("<circle cx=\"").Append(p.X.ToString("0.#", CultureInfo.InvariantCulture)).Append("\" cy=\"")
                 .Append(p.Y.ToString("0.#", CultureInfo.InvariantCulture)).Append("\" r=\"6\"><title>")
                 .Append(WebUtility.HtmlEncode(text)).Append("</title></circle>\n");
        }
        layer.Append("</g>\n");
        var end = svg.LastIndexOf("</svg>", StringComparison.Ordinal);
        return end < 0 ? svg : svg[..end] + layer + svg[end..];
    }

    /// <summary>A number to three significant figures, invariant culture.</summary>
    public static string N(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
