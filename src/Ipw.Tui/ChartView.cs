using System.Globalization;
using System.Text;
using Ipw.Abstractions;
using Terminal.Gui.ViewBase;

namespace Ipw.Tui;

/// <summary>
/// Live charts drawn with block characters: power per device, running energy, temperature and memory. Each line
/// gets a label (latest, min, max) and as many rows of bars as the view has room for, down to one row (a
/// sparkline) on a small terminal. Time runs left to right over <see cref="Span"/> seconds ending at the newest
/// point; a stretch without readings stays blank, never drawn as zero.
/// </summary>
internal sealed class ChartView(MonitorModel model) : View
{
    private const string Blocks = " ▁▂▃▄▅▆▇█";

    private static readonly (MetricKind Kind, string Title)[] Groups =
    [
        (MetricKind.Power, "power"),
        (MetricKind.Energy, "energy since start"),
        (MetricKind.Temperature, "temperature"),
        (MetricKind.Memory, "memory"),
    ];

    /// <summary>Seconds shown; null for the whole run.</summary>
    public double? Span { get; set; } = 300;

    /// <summary>Most bar rows per line.</summary>
    public int MaxRows { get; set; } = 6;

    protected override bool OnDrawingContent(DrawContext? context)
    {
        var width = Viewport.Width;
        var height = Viewport.Height;
        if (width < 10 || height < 1) return true;
        var groups = Groups.Select(g => (g.Title, Lines: model.Charts(g.Kind))).Where(g => g.Lines.Count > 0).ToList();
        var y = 0;
        if (groups.Count == 0)
        {
            AddStr(0, 0, Fit("no telemetry to chart yet (see the energy line above for what this machine can read)", width));
            return true;
        }
        var lineCount = groups.Sum(g => g.Lines.Count);
        // Label rows: one per group title (when there is room) and one per line; the rest is shared out as bars.
        var withTitles = height >= groups.Count + lineCount * 2;
        var labels = lineCount + (withTitles ? groups.Count : 0);
        var rows = Math.Clamp((height - labels) / Math.Max(1, lineCount), 0, MaxRows);
        foreach (var (title, lines) in groups)
        {
            if (y >= height) break;
            if (withTitles)
            {
                var span = Span is { } s ? $"last {s / 60:0.#} min" : "whole run";
                AddStr(0, y++, Fit($"{title} ({lines[0].Unit}, {span})", width));
            }
            foreach (var line in lines)
            {
                if (y >= height) break;
                var points = line.Points;
                var label = Label(line, points);
                // Without group titles, each label says what it charts.
                if (!withTitles) label = $"  {title} · {label.TrimStart()}";
                if (rows == 0)
                {
                    // No room for bars under the label: a sparkline after it.
                    var room = width - label.Length - 1;
                    AddStr(0, y, Fit(label, width));
                    if (room >= 8) DrawBars(points, label.Length + 1, y, room, 1, line);
                    y++;
                    continue;
                }
                AddStr(0, y++, Fit(label, width));
                var h = Math.Min(rows, height - y);
                if (h > 0) DrawBars(points, 0, y, width, h, line);
                y += h;
            }
        }
        return true;
    }

    private string Label(ChartSeries line, IReadOnlyList<(double T, double V)> points)
    {
        if (points.Count == 0) return $"  {line.Name}: —";
        var shown = Window(points);
        var min = shown.Count > 0 ? shown.Min(p => p.V) : double.NaN;
        var max = shown.Count > 0 ? shown.Max(p => p.V) : double.NaN;
        return string.Create(CultureInfo.InvariantCulture, $"  {line.Name}: {points[^1].V:0.##} {line.Unit} (min {min:0.##}, max {max:0.##})");
    }

    private List<(double T, double V)> Window(IReadOnlyList<(double T, double V)> points)
    {
        if (Span is not { } span || points.Count == 0) return [.. points];
        var from = points[^1].T - span;
        return points.Where(p => p.T >= from).ToList();
    }

    private void DrawBars(IReadOnlyList<(double T, double V)> all, int x0, int y0, int width, int height, ChartSeries series)
    {
        var unit = series.Unit;
        var points = Window(all);
        if (points.Count == 0) return;
        var end = points[^1].T;
        // The window fills from the first reading until it spans Span seconds, then scrolls.
        var start = points[0].T;
        var step = Math.Max(1e-9, (end - start) / width);
        var sums = new double[width];
        var counts = new int[width];
        foreach (var (t, v) in points)
        {
            var c = Math.Clamp((int)((t - start) / step), 0, width - 1);
            sums[c] += v;
            counts[c]++;
        }
        // A column between two readings holds the earlier one (readings come about once a second); a column more
        // than HoldS after the last reading stays blank: a gap in the telemetry shows as a gap.
        const double HoldS = 2.5;
        var lastT = double.NegativeInfinity;
        var lastV = 0.0;
        var times = points.Select(p => p.T).ToArray();
        var k = 0;
        for (var c = 0; c < width; c++)
        {
            var columnEnd = start + (c + 1) * step;
            while (k < times.Length && times[k] <= columnEnd) { lastT = times[k]; lastV = points[k].V; k++; }
            if (counts[c] == 0 && (series.Cumulative ? lastT > double.NegativeInfinity : columnEnd - step * 0.5 - lastT <= HoldS))
            {
                sums[c] = lastV;
                counts[c] = 1;
            }
        }
        var max = 0.0;
        var min = double.MaxValue;
        for (var c = 0; c < width; c++)
        {
            if (counts[c] == 0) continue;
            var mean = sums[c] / counts[c];
            max = Math.Max(max, mean);
            min = Math.Min(min, mean);
        }
        // Power and energy from a physical zero; temperature and memory from their lowest reading, so a change shows.
        var lo = unit is "W" or "J" ? 0 : Math.Max(0, min - (max - min) * 0.1);
        var range = max - lo;
        var line = new StringBuilder(width);
        for (var r = 0; r < height; r++)
        {
            line.Clear();
            for (var c = 0; c < width; c++)
            {
                if (counts[c] == 0)
                {
                    line.Append(' ');
                    continue;
                }
                var eighths = range > 0 ? (sums[c] / counts[c] - lo) / range * height * 8 : height * 4;
                var cell = (int)Math.Clamp(Math.Round(eighths - (height - 1 - r) * 8), 0, 8);
                // A reading always shows: the lowest row keeps at least its thinnest block.
                if (r == height - 1 && cell == 0) cell = 1;
                line.Append(Blocks[cell]);
            }
            AddStr(x0, y0 + r, line.ToString());
        }
    }

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..Math.Max(0, width - 1)] + "…";
}
