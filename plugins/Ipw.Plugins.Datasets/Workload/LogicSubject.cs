using System.Text;
using Ipw.Abstractions;
using static Ipw.Plugins.Datasets.Workload.Shared;

namespace Ipw.Plugins.Datasets.Workload;

/// <summary>
/// Logic puzzles of the built-in workload: orderings, syllogisms, number sequences, weekdays, knights and knaves,
/// and counting, in turn, each with one short verifiable answer.
/// </summary>
internal static class LogicSubject
{
    private static readonly WorkloadData Data = WorkloadData.Load("logic");

    // Invented groups and words (Workload/logic.jsonl).
    private static readonly (string More, string Less, string Most, string Least, string Quality)[] Comparisons =
        Data.Rows("comparisons", r => (r.String("more"), r.String("less"), r.String("most"), r.String("least"), r.String("quality")));

    private static readonly (string Group, string A, string B)[] Clubs =
        Data.Rows("clubs", r => (r.String("group"), r.String("a"), r.String("b")));

    // Invented words that all start with a consonant, so "a <word>" is always grammatical.
    private static readonly string[] NonsenseWords = Data.Strings("nonsense_words");

    // Indexed by the number of people, so it stays in code.
    private static readonly string[] CountWords = ["Zero", "One", "Two", "Three", "Four", "Five"];

    public static List<WorkloadItem> Items(int count, int seed)
    {
        var rng = new Random(seed);
        var items = new List<WorkloadItem>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            int kind = i % 6;
            var (task, prompt, answer, grader) = Distinct(seen, () => kind switch
            {
                0 => Ordering(rng),
                1 => Syllogism(rng),
                2 => NumberSequence(rng),
                3 => Weekday(rng),
                4 => KnightsAndKnaves(rng),
                _ => Counting(rng),
            }, q => q.Prompt);
            items.Add(Item(Id("logic", i), "logic", null, prompt, answer, grader, "short", task));
        }

        return items;
    }

    /// <summary>One inhabitant's claim: its wording and whether it is true for an assignment (true = knight).</summary>
    private readonly record struct Claim(string Text, Func<bool[], bool> Holds);

    private static (string Task, string Prompt, string Answer, string Grader) KnightsAndKnaves(Random rng)
    {
        // Draw claims until exactly one assignment of knights and knaves is consistent; found by trying all of them.
        while (true)
        {
            int n = rng.Next(2, 4);
            var pool = new List<string>(FirstNames);
            Shuffle(rng, pool);
            var names = pool.GetRange(0, n);
            var claims = new Claim[n];
            for (int s = 0; s < n; s++)
            {
                claims[s] = RandomClaim(rng, names, s);
            }

            bool[]? solution = null;
            int solutions = 0;
            for (int mask = 0; mask < 1 << n; mask++)
            {
                var knight = new bool[n];
                for (int k = 0; k < n; k++)
                {
                    knight[k] = ((mask >> k) & 1) == 1;
                }

                // A knight's claim is true and a knave's claim is false.
                bool consistent = true;
                for (int s = 0; s < n && consistent; s++)
                {
                    consistent = claims[s].Holds(knight) == knight[s];
                }

                if (consistent)
                {
                    solutions++;
                    solution = knight;
                }
            }

            if (solutions != 1)
            {
                continue;
            }

            int asked = rng.Next(n);
            var sb = new StringBuilder();
            sb.Append("On an island, every inhabitant is either a knight, who always tells the truth, or a knave, who always lies. ");
            sb.Append(F($"You meet {CountWords[n].ToLowerInvariant()} inhabitants: {JoinList(names)}."));
            for (int s = 0; s < n; s++)
            {
                sb.Append(' ').Append(names[s]).Append(" says: \"").Append(claims[s].Text).Append("\"");
            }

            sb.Append(" Is ").Append(names[asked]).Append(" a knight or a knave? Answer with knight or knave only.");
            return ("knights-knaves", sb.ToString(), solution![asked] ? "knight" : "knave", "exact");
        }
    }

    /// <summary>A claim by inhabitant <paramref name="s"/> about the others (or the whole group).</summary>
    private static Claim RandomClaim(Random rng, List<string> names, int s)
    {
        int n = names.Count;
        int a = (s + 1 + rng.Next(n - 1)) % n; // someone other than the speaker
        int b = n == 3 ? 3 - s - a : a;        // with three people, the remaining one
        switch (rng.Next(n == 3 ? 8 : 5))
        {
            case 0:
                return new($"{names[a]} is a knight.", w => w[a]);
            case 1:
                return new($"{names[a]} is a knave.", w => !w[a]);
            case 2:
                return new($"{names[a]} and I are the same kind.", w => w[a] == w[s]);
            case 3:
                return new($"{names[a]} and I are different kinds.", w => w[a] != w[s]);
            case 4:
                return new($"At least one of {names[a]} and I is a knave.", w => !w[a] || !w[s]);
            case 5:
                return new($"{names[a]} and {names[b]} are both knights.", w => w[a] && w[b]);
            case 6:
                return new($"Exactly one of {names[a]} and {names[b]} is a knight.", w => w[a] != w[b]);
            default:
                return new("Exactly one of the three of us is a knight.", w => w.Count(x => x) == 1);
        }
    }

    private static (string Task, string Prompt, string Answer, string Grader) Counting(Random rng)
    {
        switch (rng.Next(4))
        {
            case 0:
                {
                    // Two overlapping groups: the counts are built from the four regions, so they are always consistent.
                    int onlyA = rng.Next(2, 20), onlyB = rng.Next(2, 20), both = rng.Next(1, 12), neither = rng.Next(0, 15);
                    int total = onlyA + onlyB + both + neither;
                    var (group, a, b) = Pick(rng, Clubs);
                    bool askNeither = rng.Next(2) == 0;
                    string question = askNeither ? $"How many of the {group} do neither?" : $"How many of the {group} {a} but do not {b}?";
                    string prompt = F($"In a group of {total} {group}, {onlyA + both} {a} and {onlyB + both} {b}; {both} of them do both. {question} Answer with the number only.");
                    return ("counting", prompt, (askNeither ? neither : onlyA).ToString(Inv), "numeric");
                }
            case 1:
                {
                    int n = rng.Next(3, 30);
                    return ("counting", F($"At a meeting of {n} people, every person shakes hands exactly once with every other person. How many handshakes take place? Answer with the number only."), (n * (n - 1) / 2).ToString(Inv), "numeric");
                }
            case 2:
                {
                    int n = rng.Next(3, 20);
                    return ("counting", F($"A race has {n} runners, and nobody finishes level with anyone else. In how many different ways can the gold and silver medals be awarded? Answer with the number only."), (n * (n - 1)).ToString(Inv), "numeric");
                }
            default:
                {
                    // Count by brute force rather than by formula.
                    int lo = rng.Next(1, 200), hi = lo + rng.Next(20, 300), d = rng.Next(3, 13);
                    int count = 0;
                    for (int x = lo; x <= hi; x++)
                    {
                        if (x % d == 0)
                        {
                            count++;
                        }
                    }

                    return ("counting", F($"How many whole numbers from {lo} to {hi}, including both, are divisible by {d}? Answer with the number only."), count.ToString(Inv), "numeric");
                }
        }
    }

    private static (string Task, string Prompt, string Answer, string Grader) Ordering(Random rng)
    {
        var cmp = Comparisons[rng.Next(Comparisons.Length)];
        int n = rng.Next(3, 6);
        var pool = new List<string>(FirstNames);
        Shuffle(rng, pool);
        var ranked = pool.GetRange(0, n); // ranked[0] has the most of the quality, ranked[n - 1] the least

        // Stating each adjacent pair once determines the whole order; shuffled so it must be reassembled.
        var facts = new List<string>(n - 1);
        for (int k = 0; k + 1 < n; k++)
        {
            facts.Add(rng.Next(2) == 0
                ? $"{ranked[k]} is {cmp.More} than {ranked[k + 1]}."
                : $"{ranked[k + 1]} is {cmp.Less} than {ranked[k]}.");
        }

        Shuffle(rng, facts);

        string question, answer;
        switch (rng.Next(3))
        {
            case 0:
                question = $"Who is the {cmp.Most}?";
                answer = ranked[0];
                break;
            case 1:
                question = $"Who is the {cmp.Least}?";
                answer = ranked[n - 1];
                break;
            default:
                question = $"Who is the second {cmp.Most}?";
                answer = ranked[1];
                break;
        }

        var roster = ranked.OrderBy(s => s, StringComparer.Ordinal).ToList();
        string prompt = $"{CountWords[n]} friends, {JoinList(roster)}, compare their {cmp.Quality}. {string.Join(" ", facts)} {question} Answer with the name only.";
        return ("ordering", prompt, answer, "exact");
    }

    private static (string Task, string Prompt, string Answer, string Grader) Syllogism(Random rng)
    {
        // Nonsense categories keep world knowledge out of it: only the form of the argument decides.
        var words = new List<string>(NonsenseWords);
        Shuffle(rng, words);
        string a = words[0], b = words[1], c = words[2];
        string x = Pick(rng, FirstNames);
        var (premises, conclusion, valid) = rng.Next(10) switch
        {
            0 => ($"All {a}s are {b}s. All {b}s are {c}s.", $"all {a}s are {c}s", true),
            1 => ($"All {a}s are {b}s. Some {b}s are {c}s.", $"some {a}s are {c}s", false),
            2 => ($"No {a}s are {b}s. All {c}s are {a}s.", $"no {c}s are {b}s", true),
            3 => ($"All {a}s are {b}s. {x} is a {a}.", $"{x} is a {b}", true),
            4 => ($"All {a}s are {b}s. {x} is a {b}.", $"{x} is a {a}", false),
            5 => ($"Some {a}s are {b}s. All {b}s are {c}s.", $"some {a}s are {c}s", true),
            6 => ($"No {a}s are {b}s. Some {c}s are {a}s.", $"some {c}s are not {b}s", true),
            7 => ($"All {a}s are {b}s. All {c}s are {b}s.", $"some {a}s are {c}s", false),
            8 => ($"No {a}s are {b}s. No {b}s are {c}s.", $"no {a}s are {c}s", false),
            _ => ($"All {a}s are {b}s. No {c}s are {b}s.", $"no {a}s are {c}s", true),
        };
        string prompt = $"Assume these statements are true: {premises} Does it necessarily follow that {conclusion}? Answer with yes or no only.";
        return ("syllogism", prompt, valid ? "yes" : "no", "exact");
    }

    private static (string Task, string Prompt, string Answer, string Grader) NumberSequence(Random rng)
    {
        // Seven terms are computed; six are shown and the seventh is the answer.
        var terms = new long[7];
        switch (rng.Next(5))
        {
            case 0:
                {
                    long start = rng.Next(-20, 50), step = rng.Next(2, 15) * (rng.Next(2) == 0 ? 1 : -1);
                    for (int k = 0; k < terms.Length; k++) terms[k] = start + k * step;
                    break;
                }
            case 1:
                {
                    long ratio = rng.Next(2, 4);
                    terms[0] = rng.Next(1, 10);
                    for (int k = 1; k < terms.Length; k++) terms[k] = terms[k - 1] * ratio;
                    break;
                }
            case 2:
                {
                    long first = rng.Next(1, 9), offset = rng.Next(-5, 10);
                    for (int k = 0; k < terms.Length; k++) terms[k] = (first + k) * (first + k) + offset;
                    break;
                }
            case 3:
                {
                    terms[0] = rng.Next(1, 10);
                    terms[1] = rng.Next(1, 10);
                    for (int k = 2; k < terms.Length; k++) terms[k] = terms[k - 1] + terms[k - 2];
                    break;
                }
            default:
                {
                    // Differences grow by a constant amount.
                    long diff = rng.Next(1, 6), growth = rng.Next(1, 4);
                    terms[0] = rng.Next(1, 30);
                    for (int k = 1; k < terms.Length; k++) terms[k] = terms[k - 1] + diff + (k - 1) * growth;
                    break;
                }
        }

        string shown = string.Join(", ", terms.Take(6).Select(t => t.ToString(Inv)));
        return ("sequence", $"What number comes next in the sequence {shown}? Answer with the number only.", terms[6].ToString(Inv), "numeric");
    }

    private static (string Task, string Prompt, string Answer, string Grader) Weekday(Random rng)
    {
        int start = rng.Next(7);
        switch (rng.Next(3))
        {
            case 0:
                {
                    int n = rng.Next(2, 400);
                    return ("weekday", F($"Today is {Days[start]}. What day of the week will it be {n} days from today? Answer with the day name only."), Days[(start + n) % 7], "exact");
                }
            case 1:
                {
                    int n = rng.Next(2, 400);
                    return ("weekday", F($"Today is {Days[start]}. What day of the week was it {n} days ago? Answer with the day name only."), Days[((start - n) % 7 + 7) % 7], "exact");
                }
            default:
                {
                    int day = rng.Next(2, 29); // every month has at least 28 days
                    return ("weekday", $"The 1st of a month falls on a {Days[start]}. On what day of the week does the {Ordinal(day)} of the same month fall? Answer with the day name only.", Days[(start + day - 1) % 7], "exact");
                }
        }
    }

    private static string JoinList(IReadOnlyList<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];
}
