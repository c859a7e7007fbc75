using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace Ipw.Tui;

/// <summary>What drives a monitor: a live profile, or a finished run being replayed or browsed.</summary>
public abstract class MonitorSession
{
    /// <summary>True once nothing more will arrive (the run ended, or the replay reached its end).</summary>
    public abstract bool Finished { get; }

    /// <summary>The first <c>q</c> while running: a live run stops sending and saves; a replay ends.</summary>
    public abstract void Stop();

    /// <summary>A second <c>q</c> while stopping: cancel what is still in flight.</summary>
    public virtual void Abort() { }

    /// <summary>What the first <c>q</c> is doing, shown while it takes effect.</summary>
    public virtual string StoppingText => "stopping";

    /// <summary>Whether the monitor closes by itself once <see cref="Finished"/> (a run that failed), rather than
    /// staying open to be browsed.</summary>
    public virtual bool ExitWhenFinished => false;

    /// <summary>Whether <c>p</c> pauses anything.</summary>
    public virtual bool CanPause => false;

    /// <summary>Pauses or resumes (sending, or the replay); returns whether it is paused now, or null when pausing does not apply.</summary>
    public virtual bool? TogglePause() => null;

    /// <summary>Called on the UI thread about once a second (to poll live telemetry).</summary>
    public virtual void Tick() { }

    /// <summary>Seconds the charts show; null for the whole run.</summary>
    public virtual double? ChartSpan => 300;
}

/// <summary>
/// The run monitor, in Terminal.Gui: a header (client, model, dataset, hardware, energy sources and their
/// verdicts), progress, running totals, the recent queries and live charts, in four views switched with Tab or
/// 1–4. It redraws from <see cref="MonitorModel"/> twice a second (and at once on a key), on its own thread, so the
/// measurement never waits for the screen.
/// </summary>
public static class MonitorApp
{
    private static readonly string[] ViewNames = ["overview", "queries", "charts", "help"];

    /// <summary>Shows the monitor until the user quits, or (after a stop) until the session finishes.</summary>
    public static void Run(MonitorModel model, MonitorSession session, string title)
    {
        using var app = Application.Create().Init();
        using var window = new Window { Title = title, Width = Dim.Fill(), Height = Dim.Fill() };

        var header = Text(new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = 1 });
        var tabs = Text(new Label { X = 0, Y = Pos.Bottom(header), Width = Dim.Fill(), Height = 1 });
        var content = new View { X = 0, Y = Pos.Bottom(tabs), Width = Dim.Fill(), Height = Dim.Fill(1) };
        var keys = Text(new Label { X = 0, Y = Pos.AnchorEnd(1), Width = Dim.Fill(), Height = 1 });

        // Overview: progress and totals, recent queries, compact charts.
        var overview = new View { Width = Dim.Fill(), Height = Dim.Fill() };
        var progress = Text(new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = 5 });
        // An agent's task, step by step (a line, once a step has been seen).
        var steps = Text(new Label { X = 0, Y = Pos.Bottom(progress), Width = Dim.Fill(), Height = 0, Visible = false });
        var recent = Table(Pos.Bottom(steps), Dim.Fill(6));
        var compact = new ChartView(model) { X = 0, Y = Pos.AnchorEnd(6), Width = Dim.Fill(), Height = 6, MaxRows = 0, Span = session.ChartSpan };
        overview.Add(progress, steps, recent, compact);

        var queries = Table(0, Dim.Fill());
        queries.Visible = false;
        var charts = new ChartView(model) { Width = Dim.Fill(), Height = Dim.Fill(), Visible = false, Span = session.ChartSpan };
        var help = Text(new Label { Width = Dim.Fill(), Height = Dim.Fill(), Visible = false, Text = HelpText(session) });
        var views = new View[] { overview, queries, charts, help };
        content.Add(views);
        window.Add(header, tabs, content, keys);

        var current = 0;
        var stopping = false;
        bool? paused = null;
        long drawn = -1;
        var laidOutCompact = -1;
        var lastTick = DateTime.MinValue;

        void Show(int index)
        {
            current = (index + views.Length) % views.Length;
            for (var i = 0; i < views.Length; i++) views[i].Visible = i == current;
            drawn = -1;
            Refresh();
        }

        void Refresh()
        {
            var size = app.Screen.Size;
            var width = Math.Max(1, size.Width - 2);
            var headerLines = model.HeaderLines();
            // Each line is cut to the width, never wrapped. A short terminal keeps the first two (what runs, and the
            // energy verdict); the per-source lines need room.
            var headerRows = size.Height >= 30 ? headerLines.Count : Math.Min(2, headerLines.Count);
            if (header.Frame.Height != headerRows) header.Height = headerRows;
            SetText(header, Lines(headerLines.Take(headerRows), width));
            SetText(tabs, Fit(string.Join("  ", ViewNames.Select((n, i) => i == current ? $"[{i + 1} {n}]" : $" {i + 1} {n} "))
                + (paused == true ? "   ‖ PAUSED" : "") + (model.Outcome is { } o ? "   " + o : ""), width));
            var keyText = session.Finished
                ? "q quit · Tab/1-4 views · ? help"
                : stopping ? $"{session.StoppingText} · q again: cancel the queries in flight"
                : $"q stop{(session.CanPause ? " · p pause/resume" : "")} · Tab/1-4 views · ? help";
            SetText(keys, Fit(keyText, width));

            var compactHeight = size.Height >= 30 ? 6 : size.Height >= 22 ? 3 : 0;
            if (compactHeight != laidOutCompact)
            {
                // Only on a resize: a new Dim or Pos makes Terminal.Gui lay the whole window out again.
                laidOutCompact = compactHeight;
                compact.Visible = compactHeight > 0;
                compact.Height = compactHeight;
                recent.Height = Dim.Fill(compactHeight);
                compact.Y = Pos.AnchorEnd(compactHeight);
            }

            if (model.Steps.Line(width) is { } stepsLine)
            {
                if (!steps.Visible)
                {
                    steps.Visible = true;
                    steps.Height = 1;
                }
                SetText(steps, stepsLine);
            }

            var version = model.Version;
            if (version != drawn || current == 2)
            {
                drawn = version;
                var (counts, timing) = model.ProgressLines();
                var (energy, intelligence) = model.TotalsLines();
                SetText(progress, Lines([$"{Bar(model, Math.Max(10, size.Width / 4))} {counts}", timing, energy, intelligence, model.LatencyLine()], width));
                if (current == 0) SetRows(recent, model.Recent(Math.Max(1, size.Height)));
                if (current == 1) SetRows(queries, model.Recent(MonitorModel.KeptRows));
                compact.SetNeedsDraw();
                charts.SetNeedsDraw();
            }
        }

        app.Keyboard.KeyDown += (_, key) =>
        {
            if (key == Key.Q || key == Key.Q.WithShift || key == Key.C.WithCtrl || key == Key.Esc)
            {
                key.Handled = true;
                if (session.Finished) app.RequestStop();
                else if (!stopping)
                {
                    stopping = true;
                    session.Stop();
                    model.SetPhase(session.StoppingText);
                }
                else session.Abort();
            }
            else if (key == Key.P || key == Key.Space)
            {
                if (!session.Finished && !stopping && session.TogglePause() is { } p)
                {
                    paused = p;
                    model.SetPhase(p ? "paused (p resumes)" : "sending");
                }
                key.Handled = true;
            }
            else if (key == Key.Tab) { Show(current + 1); key.Handled = true; }
            else if (key == Key.Tab.WithShift) { Show(current - 1); key.Handled = true; }
            else if (key == Key.D1) { Show(0); key.Handled = true; }
            else if (key == Key.D2) { Show(1); key.Handled = true; }
            else if (key == Key.D3) { Show(2); key.Handled = true; }
            else if (key == Key.D4 || key == Key.F1 || key.AsRune.Value == '?') { Show(3); key.Handled = true; }
            else return;
            Refresh();
        };

        app.AddTimeout(TimeSpan.FromMilliseconds(500), () =>
        {
            if (DateTime.UtcNow - lastTick >= TimeSpan.FromSeconds(1))
            {
                lastTick = DateTime.UtcNow;
                session.Tick();
            }
            Refresh();
            if (session.Finished && (stopping || session.ExitWhenFinished)) app.RequestStop();
            return true;
        });
        Refresh();
        app.Run(window);
    }

    /// <summary>A label that shows its text as given: '_' is not a hot-key marker.</summary>
    private static Label Text(Label label)
    {
        label.HotKeySpecifier = new System.Text.Rune('\xffff');
        return label;
    }

    /// <summary>Sets a label's text only when it changed (each change costs a layout pass).</summary>
    private static void SetText(Label label, string text)
    {
        if (label.Text != text) label.Text = text;
    }

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..Math.Max(0, width - 1)] + "…";

    private static string Lines(IEnumerable<string> lines, int width) => string.Join('\n', lines.Select(l => Fit(l, width)));

    private static TableView Table(Pos y, Dim height)
    {
        var table = new TableView { X = 0, Y = y, Width = Dim.Fill(), Height = height, FullRowSelect = true };
        table.Style.ShowHorizontalHeaderOverline = false;
        table.Style.ShowHorizontalBottomLine = false;
        table.Style.ExpandLastColumn = true;
        SetRows(table, []);
        return table;
    }

    /// <summary>The query table's columns, as the table source wants them (built once).</summary>
    private static readonly Dictionary<string, Func<MonitorRow, object>> TableColumns =
        MonitorModel.Columns.ToDictionary(c => c.Name, c => (Func<MonitorRow, object>)(r => c.Cell(r)));

    private static void SetRows(TableView table, IReadOnlyList<MonitorRow> rows)
    {
        var offset = table.RowOffset;
        table.Table = new EnumerableTableSource<MonitorRow>(rows, TableColumns);
        table.RowOffset = Math.Clamp(offset, 0, Math.Max(0, rows.Count - 1));
    }

    private static string Bar(MonitorModel model, int width)
    {
        width = Math.Min(width, 40);
        if (model.Total is not > 0) return "[" + new string('·', width) + "]";
        var filled = (int)Math.Round((double)model.Done / model.Total.Value * width);
        return "[" + new string('█', Math.Clamp(filled, 0, width)) + new string('░', width - Math.Clamp(filled, 0, width)) + "]";
    }

    private static string HelpText(MonitorSession session) => string.Join('\n',
    [
        "Keys",
        "  q, Esc, Ctrl-C   stop: no new query is sent, those in flight finish, and everything is saved;",
        "                   press again to cancel the queries in flight. Once the run has ended, q quits.",
        "  p, Space         pause / resume sending (queries in flight still finish; an open-loop schedule",
        "                   resumes where it paused, and a --duration does not count the pause)",
        "  Tab, Shift-Tab   next / previous view;   1 overview · 2 queries · 3 charts · 4 or ? this help",
        "  arrows, PgUp/Dn  scroll the query table",
        "",
        "Views",
        "  overview  progress, running totals, an agent's task step by step (--agent), the latest queries",
        "            and compact charts",
        "  queries   every recent query: TTFT, end-to-end latency, tokens, tokens/s, joules, correct, error",
        "  charts    power per device (from energy counters where there are some), energy since the start,",
        "            temperature and memory" + (session.ChartSpan is { } s ? $", over the last {s / 60:0.#} minutes" : ", over the whole run"),
        "",
        "A '—' is a value that was not measured (never a zero). Energy per query, tok/J and the intelligence",
        "metrics (IPJ = accuracy / mean J per graded query, IPW = accuracy / mean W) follow summary.json.",
    ]);
}
