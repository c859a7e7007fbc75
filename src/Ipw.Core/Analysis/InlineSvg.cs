using System.Net;
using System.Text.RegularExpressions;

namespace Ipw.Core.Analysis;

/// <summary>
/// A figure's SVG file made fit to sit inside an HTML page beside others: no XML declaration, a <c>viewBox</c> so it
/// scales with the page, an accessible name, and its ids (ScottPlot's clip paths are <c>cl_1</c>, <c>cl_2</c>, ... in
/// every file) prefixed with the figure's number, so one figure's clip never cuts another's drawing.
/// </summary>
internal static partial class InlineSvg
{
    public static string Of(string svg, int figure, string name)
    {
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        if (start < 0) throw new InvalidDataException($"{name}: not an SVG file");
        svg = svg[start..];
        var prefix = $"f{figure}-";
        svg = Id().Replace(svg, m => $"{m.Groups[1].Value}=\"{prefix}{m.Groups[2].Value}\"");
        svg = Reference().Replace(svg, m => $"url(#{prefix}{m.Groups[1].Value})");
        svg = Href().Replace(svg, m => $"{m.Groups[1].Value}=\"#{prefix}{m.Groups[2].Value}\"");
        var root = RootSize().Match(svg);
        var label = $" role=\"img\" aria-label=\"{WebUtility.HtmlEncode(name)}\"";
        var viewBox = root.Success && !svg[..svg.IndexOf('>')].Contains("viewBox", StringComparison.Ordinal)
            ? $" viewBox=\"0 0 {root.Groups[1].Value} {root.Groups[2].Value}\"" : "";
        return "<svg" + label + viewBox + svg[4..];
    }

    [GeneratedRegex(@"\b(id)=""([^""]+)""")]
    private static partial Regex Id();

    [GeneratedRegex("""url\(#([^)]+)\)""")]
    private static partial Regex Reference();

    [GeneratedRegex(@"\b(xlink:href|href)=""#([^""]+)""")]
    private static partial Regex Href();

    [GeneratedRegex(@"^<svg[^>]*?\bwidth=""(\d+(?:\.\d+)?)""[^>]*?\bheight=""(\d+(?:\.\d+)?)""")]
    private static partial Regex RootSize();
}
