using System.Text;
using Ipw.Abstractions;
using static Ipw.Plugins.Datasets.Workload.Shared;

namespace Ipw.Plugins.Datasets.Workload;

/// <summary>
/// Multiple-choice questions of the built-in workload: every hand-written question once, then questions drawn
/// from small fact tables until the subject is full; options are shuffled and answered with a letter.
/// </summary>
internal static class KnowledgeSubject
{
    private static readonly WorkloadData Data = WorkloadData.Load("knowledge");

    // Fact tables of well-known facts, written for this workload (Workload/knowledge.jsonl). Wrong options are
    // drawn from the same table.
    private static readonly (string Name, string Symbol, int Number)[] Elements =
        Data.Rows("elements", r => (r.String("name"), r.String("symbol"), r.Int("number")));

    private static readonly (string Country, string Capital)[] Capitals =
        Data.Rows("capitals", r => (r.String("country"), r.String("capital")));

    private static readonly string[] Planets = Data.Strings("planets");

    private static readonly (string Quantity, string Unit)[] SiUnits =
        Data.Rows("si_units", r => (r.String("quantity"), r.String("unit")));

    private static readonly (string Name, int Sides)[] Polygons =
        Data.Rows("polygons", r => (r.String("name"), r.Int("sides")));

    // Only countries that lie wholly, and uncontroversially, on one continent.
    private static readonly (string Country, string Continent)[] CountryContinents =
        Data.Rows("country_continents", r => (r.String("country"), r.String("continent")));

    // Hand-written questions on widely known facts: the correct option, then exactly three wrong ones.
    private static readonly Mcq[] Questions = Data.Rows("questions", ReadQuestion);

    public static List<WorkloadItem> Items(int count, int seed)
    {
        var rng = new Random(seed);

        // Every hand-written question once, then questions drawn from the fact tables until the subject is full.
        var questions = new List<Mcq>(count);
        questions.AddRange(Questions);
        questions.AddRange(FactQuestions(rng, count - Questions.Length));
        Shuffle(rng, questions); // mix topics instead of keeping the authoring order

        var items = new List<WorkloadItem>(count);
        for (int i = 0; i < count; i++)
        {
            var q = questions[i];
            var options = new List<string> { q.Correct, q.Wrong1, q.Wrong2, q.Wrong3 };
            Shuffle(rng, options); // so the right answer is not always in the same slot
            int correct = options.IndexOf(q.Correct);

            var sb = new StringBuilder();
            sb.Append("Question: ").Append(q.Question).Append("\n\n");
            for (int o = 0; o < options.Count; o++)
            {
                sb.Append(Letters[o]).Append(". ").Append(options[o]).Append('\n');
            }

            sb.Append("\nAnswer with the letter only (A, B, C or D).");
            items.Add(Item(Id("mc", i), "knowledge", null, sb.ToString(), Letters[correct], "choice", "short",
                "multiple-choice", ("topic", q.Topic)));
        }

        return items;
    }

    private sealed record Mcq(string Topic, string Question, string Correct, string Wrong1, string Wrong2, string Wrong3);

    private static Mcq ReadQuestion(WorkloadData.Row row)
    {
        string[] wrong = row.Strings("wrong", 3);
        return new(row.String("topic"), row.String("question"), row.String("correct"), wrong[0], wrong[1], wrong[2]);
    }

    /// <summary>A question over a fact table: the right answer and every answer of the same kind to draw wrong ones from.</summary>
    private sealed record FactQuestion(string Topic, string Question, string Correct, IReadOnlyList<string> Answers);

    private static readonly string[] Letters = ["A", "B", "C", "D"];

    /// <summary>
    /// <paramref name="count"/> distinct questions over the fact tables, taken in turn from each table (each table's
    /// questions shuffled first) so the topics stay balanced; the three wrong options come from the same table.
    /// </summary>
    private static List<Mcq> FactQuestions(Random rng, int count)
    {
        List<FactQuestion>[] tables =
        [
            ElementQuestions(), CapitalQuestions(), PlanetQuestions(), UnitQuestions(), PolygonQuestions(), ContinentQuestions(),
        ];
        foreach (var table in tables)
        {
            Shuffle(rng, table);
        }

        var result = new List<Mcq>(count);
        for (int round = 0; result.Count < count; round++)
        {
            if (tables.All(t => round >= t.Count))
            {
                throw new InvalidOperationException(F($"The ipw fact tables hold fewer than {count} questions."));
            }

            foreach (var table in tables)
            {
                if (round < table.Count && result.Count < count)
                {
                    var q = table[round];
                    var wrong = q.Answers.Where(a => a != q.Correct).Distinct(StringComparer.Ordinal).ToList();
                    Shuffle(rng, wrong);
                    result.Add(new Mcq(q.Topic, q.Question, q.Correct, wrong[0], wrong[1], wrong[2]));
                }
            }
        }

        return result;
    }

    private static List<FactQuestion> ElementQuestions()
    {
        string[] symbols = [.. Elements.Select(e => e.Symbol)];
        string[] names = [.. Elements.Select(e => e.Name)];
        string[] numbers = [.. Elements.Select(e => e.Number.ToString(Inv))];
        var list = new List<FactQuestion>();
        foreach (var (name, symbol, number) in Elements)
        {
            // Gold, iron, sodium and hydrogen are already asked about by the hand-written questions.
            if (name is "gold" or "iron" or "sodium" or "hydrogen")
            {
                continue;
            }

            list.Add(new("chemistry", $"Which of these is the chemical symbol of {name}?", symbol, symbols));
            list.Add(new("chemistry", $"The chemical symbol {symbol} stands for which element?", Capitalize(name), [.. names.Select(Capitalize)]));
            list.Add(new("chemistry", $"What is the atomic number of {name}?", number.ToString(Inv), numbers));
        }

        return list;
    }

    private static List<FactQuestion> CapitalQuestions()
    {
        string[] capitals = [.. Capitals.Select(c => c.Capital)];
        string[] countries = [.. Capitals.Select(c => Capitalize(c.Country))];
        var list = new List<FactQuestion>();
        foreach (var (country, capital) in Capitals)
        {
            list.Add(new("geography", $"Which city is the capital of {country}?", capital, capitals));
            list.Add(new("geography", $"{capital} is the capital city of which country?", Capitalize(country), countries));
        }

        return list;
    }

    private static List<FactQuestion> PlanetQuestions()
    {
        string[] ordinals = [.. Enumerable.Range(1, Planets.Length).Select(Ordinal)];
        var list = new List<FactQuestion>();
        for (int k = 0; k < Planets.Length; k++)
        {
            list.Add(new("astronomy", $"Counting outward from the Sun, which planet is {Ordinal(k + 1)}?", Planets[k], Planets));
            list.Add(new("astronomy", $"Counting outward from the Sun, in which position is the planet {Planets[k]}?", ordinals[k], ordinals));
        }

        return list;
    }

    private static List<FactQuestion> UnitQuestions()
    {
        string[] units = [.. SiUnits.Select(u => u.Unit)];
        string[] quantities = [.. SiUnits.Select(u => Capitalize(u.Quantity))];
        var list = new List<FactQuestion>();
        foreach (var (quantity, unit) in SiUnits)
        {
            // Force, resistance and frequency are already asked about by the hand-written questions.
            if (quantity is "force" or "electrical resistance" or "frequency")
            {
                continue;
            }

            list.Add(new("physics", $"In the International System of Units, which unit is used for {quantity}?", unit, units));
            list.Add(new("physics", $"Which physical quantity has the SI unit called {unit.Replace("The ", "the ", StringComparison.Ordinal)}?", Capitalize(quantity), quantities));
        }

        return list;
    }

    private static List<FactQuestion> PolygonQuestions()
    {
        string[] names = [.. Polygons.Select(p => Capitalize(p.Name))];
        string[] sides = [.. Polygons.Select(p => p.Sides.ToString(Inv))];
        var list = new List<FactQuestion>();
        foreach (var (name, count) in Polygons)
        {
            list.Add(new("mathematics", $"How many sides does a {name} have?", count.ToString(Inv), sides));
            list.Add(new("mathematics", F($"What is the name of a polygon with {count} sides?"), Capitalize(name), names));
        }

        return list;
    }

    private static List<FactQuestion> ContinentQuestions()
    {
        string[] continents = [.. CountryContinents.Select(c => c.Continent).Distinct()];
        var list = new List<FactQuestion>();
        foreach (var (country, continent) in CountryContinents)
        {
            list.Add(new("geography", $"On which continent is {country}?", continent, continents));
        }

        return list;
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
