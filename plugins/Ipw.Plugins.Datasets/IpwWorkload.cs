using Ipw.Abstractions;
using Ipw.Plugins.Datasets.Workload;
using static Ipw.Plugins.Datasets.Workload.Shared;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// The built-in mixed workload ("ipw@0.2.0"): 1,000 synthetic items over six subjects, generated in code
/// (one generator per subject under <c>Workload/</c>) from literal data in embedded JSON Lines files
/// (<c>Workload/&lt;subject&gt;.jsonl</c> and <c>Workload/shared.jsonl</c>, read by <see cref="WorkloadData"/>):
/// math 240, knowledge 200 (72 hand-written questions and 128 drawn from small fact tables), logic 200,
/// extraction 160 (documents from about 150 to 15,000 characters), summarization 120 (passages evenly spaced
/// from 500 to 15,000 characters) and chat 80 (hand-written). No prompt is longer than
/// <see cref="MaxPromptChars"/> characters, so every item fits a 16,384-token context.
/// Every random choice comes from <see cref="Random"/> with a fixed seed (its seeded algorithm is frozen for
/// compatibility), numbers are formatted with the invariant culture, and nothing depends on hash codes or the
/// clock, so the prompts are byte-identical on every run, machine and .NET version.
/// All names, places, products and passages are invented for this workload; the fact tables hold only
/// well-known facts (element symbols, capitals, planets, SI units, polygons, continents).
/// </summary>
internal static class IpwWorkload
{
    /// <summary>Version of the generated content; bump it whenever any prompt or reference changes.</summary>
    public const string Version = "0.2.0";

    /// <summary>Exact number of items <see cref="Generate"/> yields.</summary>
    public const int ItemCount = 1000;

    /// <summary>
    /// The most characters any item's messages may hold together: the project's tiny test model has a
    /// 16,384-token context at roughly one token per character, and the answer needs room too.
    /// </summary>
    public const int MaxPromptChars = 15_500;

    // Items per subject; with the 80 hand-written chat prompts they add up to ItemCount (checked in Generate).
    private const int MathCount = 240;
    private const int KnowledgeCount = 200;
    private const int LogicCount = 200;
    private const int ExtractionCount = 160;
    private const int SummaryCount = 120;

    // One seed per subject, so changing one generator never shifts the random stream of another.
    private const int MathSeed = 1001;
    private const int KnowledgeSeed = 2002;
    private const int LogicSeed = 3003;
    private const int ExtractionSeed = 4004;
    private const int SummarySeed = 5005;

    /// <summary>Yields the 1,000 items, subjects spread evenly through the sequence.</summary>
    public static IEnumerable<WorkloadItem> Generate()
    {
        List<WorkloadItem>[] subjects =
        [
            MathSubject.Items(MathCount, MathSeed),
            KnowledgeSubject.Items(KnowledgeCount, KnowledgeSeed),
            LogicSubject.Items(LogicCount, LogicSeed),
            ExtractionSubject.Items(ExtractionCount, ExtractionSeed),
            SummarizationSubject.Items(SummaryCount, SummarySeed),
            ChatSubject.Items(),
        ];

        int total = subjects.Sum(s => s.Count);
        if (total != ItemCount)
        {
            throw new InvalidOperationException(F($"The ipw workload generated {total} items instead of {ItemCount}."));
        }

        foreach (var item in subjects.SelectMany(s => s))
        {
            int chars = item.Messages.Sum(m => m.Content.Length);
            if (chars > MaxPromptChars)
            {
                throw new InvalidOperationException(F($"The ipw item {item.Id} has {chars} characters of prompt, over the cap of {MaxPromptChars}."));
            }
        }

        // Item k of a subject with n items sits at (k + 0.5) / n, so every prefix of the run (and the first six
        // items) mixes all subjects; ties keep subject order, and OrderBy is stable, so the order is fixed.
        var ordered = subjects
            .SelectMany((list, s) => list.Select((item, k) => (Key: (2.0 * k + 1) / (2.0 * list.Count), Subject: s, Value: item)))
            .OrderBy(e => e.Key)
            .ThenBy(e => e.Subject);

        foreach (var entry in ordered)
        {
            yield return entry.Value;
        }
    }
}
