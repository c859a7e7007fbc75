using System.Text;
using Ipw.Abstractions;
using static Ipw.Plugins.Datasets.Workload.Shared;

namespace Ipw.Plugins.Datasets.Workload;

/// <summary>
/// Summarization tasks of the built-in workload: invented passages about a town, a project or a device, evenly
/// spaced from 500 to 15,000 characters, with an instruction and no reference.
/// </summary>
internal static class SummarizationSubject
{
    private static readonly WorkloadData Data = WorkloadData.Load("summarization");

    // Passage themes: item i is about theme i % 3, and its task is "summary-<theme>". The per-theme tables of the
    // data file name their theme on each row.
    private static readonly string[] ThemeNames = ["town", "project", "device"];

    // Invented passages and instructions (Workload/summarization.jsonl).
    private static readonly (string Instruction, string Expected)[] SummaryInstructions =
        Data.Rows("instructions", r => (r.String("instruction"), r.String("expected")));

    private static readonly string[] Intros = [.. ByTheme("intros", single: true).Select(texts => texts[0])];

    // Tokens: {T} subject, {L} leader, {F} founding/start year, {K} key figure (fixed per passage);
    // {P} and {Q} people, {Y} a later year, {N} a small number, {M} a larger number, {PCT} a percentage,
    // {MON} a month and {PL} another town (fresh for each sentence).
    private static readonly string[][] ThemeFacts = ByTheme("theme_facts");
    private static readonly string[][] ThemeEvents = ByTheme("theme_events");
    private static readonly string[] CommonSentences = Data.Strings("common_sentences");
    private static readonly string[] Connectors = Data.Strings("connectors");
    private static readonly string[] DeviceNames = Data.Strings("device_names");
    private static readonly string[] Months = Data.Strings("months");

    public static List<WorkloadItem> Items(int count, int seed)
    {
        var rng = new Random(seed);

        // Evenly spaced passage lengths from 500 to 15,000 characters, shuffled so length does not grow with the id;
        // a passage never exceeds its target and the longest instruction is under 150 characters, so the prompt
        // stays under IpwWorkload.MaxPromptChars.
        var targets = Enumerable.Range(0, count)
            .Select(k => 500 + k * (15_000 - 500) / (count - 1))
            .ToList();
        Shuffle(rng, targets);

        var items = new List<WorkloadItem>(count);
        for (int i = 0; i < count; i++)
        {
            int theme = i % 3;
            string passage = Passage(rng, theme, targets[i]);
            var (instruction, expected) = Pick(rng, SummaryInstructions);
            items.Add(Item(Id("summary", i), "summarization", null, instruction + "\n\n" + passage, null, null, expected,
                "summary-" + ThemeNames[theme], ("passage_chars", passage.Length.ToString(Inv))));
        }

        return items;
    }

    /// <summary>Fixed facts of one passage, so repeated mentions never contradict each other.</summary>
    private sealed record PassageContext(string Subject, string Leader, int Start, string Key);

    private static string Passage(Random rng, int theme, int target)
    {
        var ctx = theme switch
        {
            0 => new PassageContext(Pick(rng, Towns), FullName(rng), rng.Next(1650, 1900), rng.Next(900, 40_000).ToString("N0", Inv)),
            1 => new PassageContext("Project " + Pick(rng, ProjectNames), FullName(rng), rng.Next(2008, 2023),
                (rng.Next(12, 95) / 10m).ToString("0.0", Inv) + " million dollars"),
            _ => new PassageContext(Pick(rng, DeviceNames), FullName(rng), rng.Next(2012, 2026), rng.Next(5_000, 900_000).ToString("N0", Inv)),
        };

        // Facts are used once each, first; then event sentences are dealt from a shuffled deck so a template
        // only repeats after all the others have been used.
        var facts = new List<string>(ThemeFacts[theme]);
        Shuffle(rng, facts);
        string[] eventPool = [.. ThemeEvents[theme], .. CommonSentences];
        var deck = new List<string>();
        int factIndex = 0;

        var sb = new StringBuilder(Fill(rng, Intros[theme], ctx));
        int inParagraph = 1, paragraphSize = rng.Next(3, 7);
        while (true)
        {
            string sentence;
            if (factIndex < facts.Count)
            {
                sentence = Fill(rng, facts[factIndex++], ctx);
            }
            else
            {
                if (deck.Count == 0)
                {
                    deck.AddRange(eventPool);
                    Shuffle(rng, deck);
                }

                string template = deck[^1];
                deck.RemoveAt(deck.Count - 1);
                sentence = Fill(rng, template, ctx);

                // An occasional connective phrase varies the rhythm; sentences that open with a time phrase keep theirs.
                bool opensWithTime = template.StartsWith("In ", StringComparison.Ordinal) || template.StartsWith("By ", StringComparison.Ordinal);
                if (!opensWithTime && rng.Next(100) < 35)
                {
                    string rest = template.StartsWith('{') ? sentence : char.ToLowerInvariant(sentence[0]) + sentence[1..];
                    sentence = Pick(rng, Connectors) + rest;
                }
            }

            bool newParagraph = inParagraph >= paragraphSize;
            if (sb.Length + sentence.Length + (newParagraph ? 2 : 1) > target)
            {
                break; // stop before overshooting, so the passage never exceeds its target length
            }

            if (newParagraph)
            {
                sb.Append("\n\n");
                inParagraph = 0;
                paragraphSize = rng.Next(3, 7);
            }
            else
            {
                sb.Append(' ');
            }

            sb.Append(sentence);
            inParagraph++;
        }

        return sb.ToString();
    }

    /// <summary>Replaces the placeholder tokens of a sentence template.</summary>
    private static string Fill(Random rng, string template, PassageContext ctx)
    {
        // Per-passage facts first; then per-sentence tokens, each drawn in a fixed order so the text is reproducible.
        string s = template
            .Replace("{T}", ctx.Subject)
            .Replace("{L}", ctx.Leader)
            .Replace("{F}", ctx.Start.ToString(Inv))
            .Replace("{K}", ctx.Key);
        if (s.Contains("{P}")) s = s.Replace("{P}", FullName(rng));
        if (s.Contains("{Q}")) s = s.Replace("{Q}", FullName(rng));
        if (s.Contains("{Y}")) s = s.Replace("{Y}", (ctx.Start + rng.Next(1, 30)).ToString(Inv));
        if (s.Contains("{N}")) s = s.Replace("{N}", rng.Next(3, 40).ToString(Inv));
        if (s.Contains("{M}")) s = s.Replace("{M}", rng.Next(120, 60_000).ToString("N0", Inv));
        if (s.Contains("{PCT}")) s = s.Replace("{PCT}", rng.Next(3, 65).ToString(Inv));
        if (s.Contains("{MON}")) s = s.Replace("{MON}", Pick(rng, Months));
        if (s.Contains("{PL}"))
        {
            string place;
            do
            {
                place = Pick(rng, Towns);
            }
            while (place == ctx.Subject); // another town, never the one the passage is about

            s = s.Replace("{PL}", place);
        }

        return s;
    }

    /// <summary>
    /// A table's texts grouped by the theme named on each row, in the order of <see cref="ThemeNames"/>; every theme
    /// needs at least one row (exactly one when <paramref name="single"/>).
    /// </summary>
    private static string[][] ByTheme(string table, bool single = false)
    {
        var rows = Data.Rows(table, r => (Theme: r.String("theme"), Text: r.String("text")));
        string[][] texts = [.. ThemeNames.Select(theme => rows.Where(r => r.Theme == theme).Select(r => r.Text).ToArray())];
        if (rows.Any(r => !ThemeNames.Contains(r.Theme)) || texts.Any(t => t.Length == 0 || (single && t.Length != 1)))
        {
            throw new InvalidOperationException(
                $"The ipw workload data Workload/summarization.jsonl needs {(single ? "one row" : "rows")} of '{table}' for each theme ({string.Join(", ", ThemeNames)}) and no other theme.");
        }

        return texts;
    }
}
