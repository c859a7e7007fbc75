using System.Globalization;
using System.Text;
using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// The built-in mixed workload ("ipw@0.2.0"): 1,000 synthetic items over six subjects, generated in code:
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

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Yields the 1,000 items, subjects spread evenly through the sequence.</summary>
    public static IEnumerable<WorkloadItem> Generate()
    {
        List<WorkloadItem>[] subjects =
        [
            MathItems(), KnowledgeItems(), LogicItems(), ExtractionItems(), SummaryItems(), ChatItems(),
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

    // ------------------------------------------------------------------ math

    private static List<WorkloadItem> MathItems()
    {
        var rng = new Random(MathSeed);
        var items = new List<WorkloadItem>(MathCount);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < MathCount; i++)
        {
            int kind = i % 9;
            var (task, prompt, answer) = Distinct(seen, () => kind switch
            {
                0 => Shopping(rng),
                1 => RateTimeDistance(rng),
                2 => Percentages(rng),
                3 => UnitConversion(rng),
                4 => MultiStep(rng),
                5 => Averages(rng),
                6 => Savings(rng),
                7 => Ratios(rng),
                _ => ClockTime(rng),
            }, q => q.Prompt);
            items.Add(Item(Id("math", i), "math", null, prompt + " Answer with the number only.",
                Num(answer), "numeric", "short", task));
        }

        return items;
    }

    private static (string Task, string Prompt, decimal Answer) Shopping(Random rng)
    {
        string name = Pick(rng, FirstNames);
        int a = rng.Next(Goods.Length);
        int b = (a + 1 + rng.Next(Goods.Length - 1)) % Goods.Length; // always a different good from a
        int qa = rng.Next(2, 9), qb = rng.Next(2, 13);
        decimal pa = rng.Next(4, 48) * 0.25m, pb = rng.Next(3, 40) * 0.05m;
        decimal total = qa * pa + qb * pb;
        string prompt = F($"{name} buys {qa} {Goods[a]} at ${pa:0.00} each and {qb} {Goods[b]} at ${pb:0.00} each.");
        if (total > 10m && rng.Next(2) == 0)
        {
            // Only for larger bills, so the coupon can never make the total negative.
            int coupon = rng.Next(1, 5);
            prompt += F($" At the till, a coupon takes ${coupon} off the bill.");
            total -= coupon;
        }

        return ("shopping", prompt + F($" How much does {name} pay in total, in dollars?"), total);
    }

    private static (string Task, string Prompt, decimal Answer) RateTimeDistance(Random rng)
    {
        switch (rng.Next(3))
        {
            case 0:
                {
                    // Speed is a multiple of 4 km/h and minutes a multiple of 15, so the distance is whole.
                    int v = rng.Next(10, 30) * 4, h = rng.Next(1, 6), m = rng.Next(1, 4) * 15;
                    int d = v * h + v * m / 60;
                    return ("rate", F($"A delivery drone flies at a steady {v} km/h for {Plural(h, "hour")} and {m} minutes. How many kilometres does it cover?"), d);
                }
            case 1:
                {
                    // Speeds are multiples of 3 and times multiples of 20 minutes, so the distance is whole.
                    int v = Pick(rng, CyclistSpeeds), t = rng.Next(2, 10) * 20;
                    int d = v * t / 60;
                    return ("rate", F($"A cyclist rides {d} km at a constant {v} km/h. How many minutes does the ride take?"), t);
                }
            default:
                {
                    int v1 = rng.Next(6, 16) * 10, v2 = rng.Next(5, 15) * 10, t = rng.Next(2, 7);
                    int d = (v1 + v2) * t;
                    return ("rate", F($"Two trains start {d} km apart on the same line and travel toward each other, one at {v1} km/h and the other at {v2} km/h. After how many hours do they meet?"), t);
                }
        }
    }

    private static (string Task, string Prompt, decimal Answer) Percentages(Random rng)
    {
        switch (rng.Next(4))
        {
            case 0:
                {
                    int price = rng.Next(12, 400), pct = rng.Next(1, 15) * 5;
                    decimal sale = price * (100 - pct) / 100m;
                    return ("percent", F($"A {Pick(rng, SaleItems)} costs ${price}. During a sale it is discounted by {pct}%. What is the sale price in dollars?"), sale);
                }
            case 1:
                {
                    // The population is a multiple of 100, so the growth is a whole number of people.
                    int population = rng.Next(20, 500) * 100, pct = rng.Next(2, 30);
                    int grown = population + population * pct / 100;
                    return ("percent", F($"The village of {Pick(rng, Towns)} had {population} residents. Over the next decade its population grew by {pct}%. How many residents does it have now?"), grown);
                }
            case 2:
                {
                    int pct = rng.Next(3, 96), n = rng.Next(20, 900);
                    return ("percent", F($"What is {pct}% of {n}?"), pct * n / 100m);
                }
            default:
                {
                    // Test sizes divide 100 * correct into at most two decimal places.
                    string name = Pick(rng, FirstNames);
                    int questions = Pick(rng, TestSizes);
                    int correct = rng.Next(questions / 2, questions + 1);
                    return ("percent", F($"{name} answered {correct} out of {questions} questions correctly on a test. What percentage of the questions did {name} answer correctly?"), correct * 100m / questions);
                }
        }
    }

    private static (string Task, string Prompt, decimal Answer) UnitConversion(Random rng)
    {
        switch (rng.Next(4))
        {
            case 0:
                {
                    int h = rng.Next(1, 6), m = rng.Next(1, 60), s = rng.Next(1, 60);
                    return ("units", F($"How many seconds are there in {Plural(h, "hour")}, {m} minutes and {s} seconds?"), h * 3600 + m * 60 + s);
                }
            case 1:
                {
                    int km = rng.Next(2, 40), m = rng.Next(5, 1000);
                    return ("units", F($"A hiking trail is {km} km and {m} m long. How long is it in metres?"), km * 1000 + m);
                }
            case 2:
                {
                    int grams = rng.Next(25, 90) * 10, loaves = rng.Next(2, 13);
                    return ("units", F($"A bakery uses {grams} grams of flour per loaf. How many kilograms of flour does it need for {loaves} loaves?"), grams * loaves / 1000m);
                }
            default:
                {
                    int litres = rng.Next(2, 13), ml = Pick(rng, GlassSizes);
                    return ("units", F($"A jug holds {litres} litres of lemonade. How many glasses of {ml} ml can be filled completely from it?"), litres * 1000 / ml);
                }
        }
    }

    private static (string Task, string Prompt, decimal Answer) MultiStep(Random rng)
    {
        switch (rng.Next(3))
        {
            case 0:
                {
                    int trays = rng.Next(3, 10), perTray = Pick(rng, TraySizes);
                    int baked = trays * perTray;
                    int sold = rng.Next(baked / 4, baked / 2), given = rng.Next(1, 6), bagSize = rng.Next(2, 5);
                    int bags = (baked - sold - given) / bagSize;
                    return ("multi-step", F($"A bakery bakes {trays} trays of {perTray} rolls. It sells {sold} rolls in the morning and gives {given} to a local shelter. The remaining rolls are packed into bags of {bagSize}. How many full bags can be packed?"), bags);
                }
            case 1:
                {
                    // Work backwards from an even split so the answer is whole.
                    int shelves = rng.Next(4, 13), perShelf = rng.Next(15, 60);
                    int borrowed = rng.Next(10, 80), donated = rng.Next(5, 50);
                    int start = shelves * perShelf + borrowed - donated;
                    return ("multi-step", F($"A library starts the day with {start} books on its shelves. Readers borrow {borrowed} books, and {donated} donated books arrive and are shelved. The librarian then spreads all the shelved books evenly across {shelves} shelves. How many books are on each shelf?"), perShelf);
                }
            default:
                {
                    // Whole hundreds of km keep the litres whole; the price has cents, so the cost has at most two decimals.
                    int per100 = rng.Next(6, 13), km = rng.Next(1, 9) * 100;
                    decimal price = rng.Next(120, 220) * 0.01m;
                    decimal cost = per100 * km / 100 * price;
                    return ("multi-step", F($"A van uses {per100} litres of fuel per 100 km. Fuel costs ${price:0.00} per litre. How many dollars does the fuel cost for a {km} km trip?"), cost);
                }
        }
    }

    private static (string Task, string Prompt, decimal Answer) Averages(Random rng)
    {
        if (rng.Next(2) == 0)
        {
            string name = Pick(rng, FirstNames);
            int a = rng.Next(55, 101), b = rng.Next(55, 101), c = rng.Next(55, 101), d = rng.Next(55, 101);
            return ("average", F($"{name} scored {a}, {b}, {c} and {d} on four quizzes. What is the average score?"), (a + b + c + d) / 4m);
        }

        int p = rng.Next(10, 100), q = rng.Next(10, 100), r = rng.Next(10, 100), s = rng.Next(10, 100), fifth = rng.Next(10, 100);
        fifth += (5 - (p + q + r + s + fifth) % 5) % 5; // make the sum divisible by 5 so the mean is whole
        int mean = (p + q + r + s + fifth) / 5;
        return ("average", F($"The mean of five numbers is {mean}. Four of them are {p}, {q}, {r} and {s}. What is the fifth number?"), fifth);
    }

    private static (string Task, string Prompt, decimal Answer) Savings(Random rng)
    {
        string name = Pick(rng, FirstNames);
        if (rng.Next(2) == 0)
        {
            // A principal in whole hundreds keeps simple interest at whole dollars.
            int principal = rng.Next(5, 51) * 100, rate = rng.Next(1, 10), years = rng.Next(1, 6);
            int amount = principal + principal * rate * years / 100;
            return ("interest", F($"{name} deposits ${principal} in a savings account that pays {rate}% simple interest per year. How many dollars will be in the account after {Plural(years, "year")}, assuming no withdrawals?"), amount);
        }

        int weekly = rng.Next(5, 41), weeks = rng.Next(4, 31);
        int spent = rng.Next(10, weekly * weeks);
        return ("savings", F($"{name} saves ${weekly} every week for {weeks} weeks and then spends ${spent} on a new {Pick(rng, Purchases)}. How many dollars are left?"), weekly * weeks - spent);
    }

    private static (string Task, string Prompt, decimal Answer) Ratios(Random rng)
    {
        switch (rng.Next(4))
        {
            case 0:
                {
                    // Scaling goes through the amount per serving, so the answer is whole.
                    int servings = Pick(rng, RecipeServings), perServing = rng.Next(3, 40) * 5;
                    int wanted;
                    do
                    {
                        wanted = rng.Next(2, 16);
                    }
                    while (wanted == servings);

                    var (dish, ingredient) = Pick(rng, Recipes);
                    return ("ratio", F($"A recipe for {servings} servings of {dish} uses {perServing * servings} grams of {ingredient}. How many grams of {ingredient} are needed for {wanted} servings?"), perServing * wanted);
                }
            case 1:
                {
                    string a = Pick(rng, FirstNames), b;
                    do
                    {
                        b = Pick(rng, FirstNames);
                    }
                    while (b == a);

                    var (p, q) = RatioParts(rng);
                    int unit = rng.Next(2, 40) * 5;
                    return ("ratio", F($"{a} and {b} share ${(p + q) * unit} in the ratio {p}:{q}. How many dollars does {a} get?"), p * unit);
                }
            case 2:
                {
                    // Map scales are whole thousands and distances whole or half centimetres, so kilometres stay exact.
                    int scale = Pick(rng, MapScales);
                    decimal cm = rng.Next(4, 60) * 0.5m;
                    return ("ratio", F($"On a map with a scale of 1:{scale}, two villages are {cm:0.#} cm apart. How many kilometres apart are they in reality?"), cm * scale / 100_000m);
                }
            default:
                {
                    var (p, q) = RatioParts(rng);
                    int batches = rng.Next(2, 12);
                    return ("ratio", F($"A paint colour is made by mixing blue and white paint in the ratio {p}:{q}. How many litres of white paint are needed to mix with {p * batches} litres of blue?"), q * batches);
                }
        }
    }

    /// <summary>Two different parts of a ratio in lowest terms, such as 2:5 or 3:1.</summary>
    private static (int P, int Q) RatioParts(Random rng)
    {
        while (true)
        {
            int p = rng.Next(1, 8), q = rng.Next(1, 8);
            if (p != q && Gcd(p, q) == 1)
            {
                return (p, q);
            }
        }
    }

    private static (string Task, string Prompt, decimal Answer) ClockTime(Random rng)
    {
        switch (rng.Next(4))
        {
            case 0:
                {
                    int start = rng.Next(5 * 60, 14 * 60), length = rng.Next(25, 9 * 60);
                    int end = start + length;
                    return ("time", F($"A train leaves at {start / 60:D2}:{start % 60:D2} and arrives at {end / 60:D2}:{end % 60:D2} on the same day. How many minutes does the journey take?"), length);
                }
            case 1:
                {
                    // The bus crosses midnight, so the difference cannot be read off directly.
                    int start = rng.Next(20 * 60, 24 * 60), length = rng.Next(90, 11 * 60);
                    int end = (start + length) % (24 * 60);
                    return ("time", F($"An overnight bus leaves at {start / 60:D2}:{start % 60:D2} and arrives at {end / 60:D2}:{end % 60:D2} the next morning. How many minutes does the trip take?"), length);
                }
            case 2:
                {
                    // Opening and closing on quarter hours keeps the weekly total a multiple of 0.25 hours.
                    int open = rng.Next(28, 42) * 15, close = rng.Next(64, 84) * 15, days = rng.Next(4, 8);
                    return ("time", F($"A shop is open from {open / 60:D2}:{open % 60:D2} to {close / 60:D2}:{close % 60:D2} on each of {days} days a week. How many hours is it open per week?"), (close - open) * days / 60m);
                }
            default:
                {
                    // Gains in multiples of 5 seconds an hour make the minutes after whole days exact.
                    int gain = rng.Next(1, 7) * 5, days = rng.Next(2, 31);
                    return ("time", F($"A clock gains {gain} seconds every hour. If it is set correctly at noon, how many minutes fast will it be exactly {days} days later?"), gain * 24 * days / 60m);
                }
        }
    }

    // ------------------------------------------------------------------ knowledge (multiple choice)

    private static List<WorkloadItem> KnowledgeItems()
    {
        var rng = new Random(KnowledgeSeed);

        // Every hand-written question once, then questions drawn from the fact tables until the subject is full.
        var questions = new List<Mcq>(KnowledgeCount);
        questions.AddRange(Questions);
        questions.AddRange(FactQuestions(rng, KnowledgeCount - Questions.Length));
        Shuffle(rng, questions); // mix topics instead of keeping the authoring order

        var items = new List<WorkloadItem>(KnowledgeCount);
        for (int i = 0; i < KnowledgeCount; i++)
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

    // Fact tables of well-known facts, written for this workload. Wrong options are drawn from the same table.
    private static readonly (string Name, string Symbol, int Number)[] Elements =
    [
        ("hydrogen", "H", 1), ("helium", "He", 2), ("lithium", "Li", 3), ("carbon", "C", 6), ("nitrogen", "N", 7),
        ("oxygen", "O", 8), ("fluorine", "F", 9), ("neon", "Ne", 10), ("sodium", "Na", 11), ("magnesium", "Mg", 12),
        ("aluminium", "Al", 13), ("silicon", "Si", 14), ("phosphorus", "P", 15), ("sulfur", "S", 16), ("chlorine", "Cl", 17),
        ("argon", "Ar", 18), ("potassium", "K", 19), ("calcium", "Ca", 20), ("iron", "Fe", 26), ("nickel", "Ni", 28),
        ("copper", "Cu", 29), ("zinc", "Zn", 30), ("silver", "Ag", 47), ("tin", "Sn", 50), ("iodine", "I", 53),
        ("platinum", "Pt", 78), ("gold", "Au", 79), ("mercury", "Hg", 80), ("lead", "Pb", 82), ("uranium", "U", 92),
    ];

    private static readonly (string Country, string Capital)[] Capitals =
    [
        ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Portugal", "Lisbon"),
        ("Ireland", "Dublin"), ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"),
        ("Iceland", "Reykjavik"), ("Poland", "Warsaw"), ("Austria", "Vienna"), ("Hungary", "Budapest"), ("Greece", "Athens"),
        ("the Czech Republic", "Prague"), ("Belgium", "Brussels"), ("Russia", "Moscow"), ("Turkey", "Ankara"), ("Egypt", "Cairo"),
        ("Kenya", "Nairobi"), ("Nigeria", "Abuja"), ("Morocco", "Rabat"), ("China", "Beijing"), ("India", "New Delhi"),
        ("South Korea", "Seoul"), ("Thailand", "Bangkok"), ("Vietnam", "Hanoi"), ("the Philippines", "Manila"),
        ("New Zealand", "Wellington"), ("Mexico", "Mexico City"), ("Cuba", "Havana"), ("Brazil", "Brasilia"),
        ("Argentina", "Buenos Aires"), ("Peru", "Lima"), ("Chile", "Santiago"), ("Colombia", "Bogota"),
    ];

    private static readonly string[] Planets = ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"];

    private static readonly (string Quantity, string Unit)[] SiUnits =
    [
        ("length", "The metre"), ("mass", "The kilogram"), ("time", "The second"), ("electric current", "The ampere"),
        ("thermodynamic temperature", "The kelvin"), ("amount of substance", "The mole"), ("luminous intensity", "The candela"),
        ("force", "The newton"), ("energy", "The joule"), ("power", "The watt"), ("pressure", "The pascal"),
        ("frequency", "The hertz"), ("electric charge", "The coulomb"), ("electric potential difference", "The volt"),
        ("electrical resistance", "The ohm"), ("capacitance", "The farad"), ("magnetic flux density", "The tesla"),
    ];

    private static readonly (string Name, int Sides)[] Polygons =
    [
        ("triangle", 3), ("quadrilateral", 4), ("pentagon", 5), ("hexagon", 6), ("heptagon", 7),
        ("octagon", 8), ("nonagon", 9), ("decagon", 10), ("dodecagon", 12),
    ];

    // Only countries that lie wholly, and uncontroversially, on one continent.
    private static readonly (string Country, string Continent)[] CountryContinents =
    [
        ("Kenya", "Africa"), ("Nigeria", "Africa"), ("Ghana", "Africa"), ("Ethiopia", "Africa"), ("Morocco", "Africa"),
        ("Senegal", "Africa"), ("Peru", "South America"), ("Chile", "South America"), ("Colombia", "South America"),
        ("Argentina", "South America"), ("Bolivia", "South America"), ("Uruguay", "South America"),
        ("Mexico", "North America"), ("Canada", "North America"), ("Guatemala", "North America"),
        ("Japan", "Asia"), ("India", "Asia"), ("Thailand", "Asia"), ("Vietnam", "Asia"), ("Mongolia", "Asia"), ("Nepal", "Asia"),
        ("Norway", "Europe"), ("Poland", "Europe"), ("Portugal", "Europe"), ("Ireland", "Europe"), ("Hungary", "Europe"),
        ("Austria", "Europe"), ("Finland", "Europe"), ("Tanzania", "Africa"), ("Ecuador", "South America"),
    ];

    // Hand-written questions on widely known facts; the first option after the question is the correct one.
    private static readonly Mcq[] Questions =
    [
        new("geography", "Which is the largest ocean on Earth?", "The Pacific Ocean", "The Atlantic Ocean", "The Indian Ocean", "The Arctic Ocean"),
        new("geography", "What is the capital city of Australia?", "Canberra", "Sydney", "Melbourne", "Perth"),
        new("geography", "Which river flows through the city of Cairo?", "The Nile", "The Congo", "The Niger", "The Zambezi"),
        new("geography", "On which continent is the Atacama Desert?", "South America", "Africa", "Asia", "Australia"),
        new("geography", "Which country has the largest land area?", "Russia", "Canada", "China", "The United States"),
        new("geography", "In which country is Mount Kilimanjaro?", "Tanzania", "Kenya", "Uganda", "Ethiopia"),
        new("geography", "What is the capital city of Canada?", "Ottawa", "Toronto", "Vancouver", "Montreal"),
        new("geography", "Which strait links the Mediterranean Sea to the Atlantic Ocean between Spain and Morocco?", "The Strait of Gibraltar", "The Bosporus", "The Strait of Hormuz", "The Strait of Malacca"),
        new("geography", "Which is the longest mountain range on any continent?", "The Andes", "The Himalayas", "The Rocky Mountains", "The Alps"),
        new("geography", "Which U.S. state is made up entirely of islands?", "Hawaii", "Alaska", "Florida", "Rhode Island"),
        new("geography", "What is the capital city of Japan?", "Tokyo", "Kyoto", "Osaka", "Sapporo"),
        new("geography", "Lake Baikal, the deepest lake in the world, is in which country?", "Russia", "Mongolia", "Kazakhstan", "China"),

        new("physics", "What is the SI unit of force?", "The newton", "The joule", "The watt", "The pascal"),
        new("physics", "Roughly how fast does light travel in a vacuum?", "About 300,000 kilometres per second", "About 300 kilometres per second", "About 30,000 kilometres per second", "About 3,000,000 kilometres per second"),
        new("physics", "Which particle carries a negative electric charge?", "The electron", "The proton", "The neutron", "The photon"),
        new("physics", "What is the SI unit of electrical resistance?", "The ohm", "The volt", "The ampere", "The farad"),
        new("physics", "What is the energy an object has because of its motion called?", "Kinetic energy", "Potential energy", "Chemical energy", "Nuclear energy"),
        new("physics", "At sea level, at about what temperature does pure water boil?", "100 degrees Celsius", "80 degrees Celsius", "90 degrees Celsius", "120 degrees Celsius"),
        new("physics", "Which quantity is measured in hertz?", "Frequency", "Wavelength", "Amplitude", "Power"),
        new("physics", "Which kind of electromagnetic radiation has the longest wavelength?", "Radio waves", "X-rays", "Ultraviolet light", "Gamma rays"),
        new("physics", "What is the approximate acceleration due to gravity near Earth's surface?", "About 9.8 metres per second squared", "About 1.6 metres per second squared", "About 3.7 metres per second squared", "About 24.8 metres per second squared"),
        new("physics", "Who set out the three laws of motion in the book known as the Principia?", "Isaac Newton", "Galileo Galilei", "Johannes Kepler", "Albert Einstein"),
        new("physics", "One watt is equal to which of the following?", "One joule per second", "One newton per metre", "One volt per ampere", "One coulomb per second"),
        new("physics", "Which colour of visible light has the shortest wavelength?", "Violet", "Red", "Green", "Yellow"),

        new("biology", "Which part of a cell is the main site of aerobic respiration?", "The mitochondrion", "The nucleus", "The ribosome", "The Golgi apparatus"),
        new("biology", "Which molecule carries the genetic information in most living organisms?", "DNA", "ATP", "Glucose", "Cholesterol"),
        new("biology", "How many chambers does the human heart have?", "Four", "Two", "Three", "Six"),
        new("biology", "Which gas do plants take in from the air for photosynthesis?", "Carbon dioxide", "Oxygen", "Nitrogen", "Helium"),
        new("biology", "What is the largest organ of the human body?", "The skin", "The liver", "The brain", "The lungs"),
        new("biology", "Which blood cells carry most of the oxygen in the blood?", "Red blood cells", "White blood cells", "Platelets", "Plasma cells"),
        new("biology", "What is considered the basic structural unit of life?", "The cell", "The atom", "The tissue", "The organ"),
        new("biology", "Which pigment gives most plants their green colour?", "Chlorophyll", "Haemoglobin", "Melanin", "Carotene"),
        new("biology", "How many pairs of chromosomes do humans typically have?", "23", "21", "24", "46"),
        new("biology", "Which organ produces the hormone insulin?", "The pancreas", "The liver", "The kidney", "The spleen"),
        new("biology", "Which of these animals is a mammal?", "The dolphin", "The shark", "The penguin", "The crocodile"),
        new("biology", "What is the process by which one cell divides into two genetically identical cells?", "Mitosis", "Meiosis", "Osmosis", "Fermentation"),

        new("history-of-computing", "Who wrote what is often called the first published algorithm intended for Charles Babbage's Analytical Engine?", "Ada Lovelace", "Grace Hopper", "Hedy Lamarr", "Katherine Johnson"),
        new("history-of-computing", "Which mathematician proposed an imitation game as a test of machine intelligence in a 1950 paper?", "Alan Turing", "John von Neumann", "Claude Shannon", "Norbert Wiener"),
        new("history-of-computing", "In computing, what does the abbreviation CPU stand for?", "Central processing unit", "Computer power unit", "Central program utility", "Core processing utility"),
        new("history-of-computing", "Which business-oriented programming language, first specified in 1959, was strongly shaped by Grace Hopper's earlier work?", "COBOL", "FORTRAN", "LISP", "C"),
        new("history-of-computing", "Tim Berners-Lee proposed the World Wide Web while working at which organization?", "CERN", "NASA", "IBM", "Bell Labs"),
        new("history-of-computing", "At which research laboratory was the first working transistor demonstrated in 1947?", "Bell Labs", "Xerox PARC", "CERN", "MIT Lincoln Laboratory"),
        new("history-of-computing", "Which company introduced the Macintosh computer in 1984?", "Apple", "IBM", "Commodore", "Atari"),
        new("history-of-computing", "Which programming language did Dennis Ritchie create at Bell Labs in the early 1970s?", "C", "Pascal", "BASIC", "Ada"),
        new("history-of-computing", "What were the main switching components of the ENIAC computer?", "Vacuum tubes", "Transistors", "Integrated circuits", "Optical switches"),
        new("history-of-computing", "In modern standard usage, how many bits make up one byte?", "8", "4", "10", "16"),
        new("history-of-computing", "Who started the Linux kernel in 1991?", "Linus Torvalds", "Richard Stallman", "Ken Thompson", "Bill Joy"),
        new("history-of-computing", "Moore's law is an observation about the doubling, roughly every two years, of what?", "The number of transistors on a chip", "The clock speed of processors", "The capacity of hard disks", "The number of internet users"),

        new("chemistry", "What is the chemical symbol for gold?", "Au", "Ag", "Gd", "Go"),
        new("chemistry", "Which element has atomic number 1?", "Hydrogen", "Helium", "Lithium", "Oxygen"),
        new("chemistry", "What is the pH of pure water at 25 degrees Celsius?", "7", "0", "5", "14"),
        new("chemistry", "Which gas makes up most of Earth's atmosphere?", "Nitrogen", "Oxygen", "Carbon dioxide", "Argon"),
        new("chemistry", "What is the chemical formula of table salt?", "NaCl", "KCl", "NaOH", "CaCO3"),
        new("chemistry", "Which of these elements is a noble gas?", "Neon", "Chlorine", "Nitrogen", "Hydrogen"),
        new("chemistry", "What is the chemical symbol for iron?", "Fe", "Ir", "In", "F"),
        new("chemistry", "What is a water molecule made of?", "Two hydrogen atoms and one oxygen atom", "One hydrogen atom and two oxygen atoms", "Two hydrogen atoms and two oxygen atoms", "One hydrogen atom and one oxygen atom"),
        new("chemistry", "What determines which chemical element an atom belongs to?", "The number of protons in its nucleus", "The number of neutrons in its nucleus", "The total mass of the atom", "The number of electron shells"),
        new("chemistry", "Which element has the chemical symbol Na?", "Sodium", "Nitrogen", "Neon", "Nickel"),
        new("chemistry", "Which gas is given off when zinc reacts with hydrochloric acid?", "Hydrogen", "Oxygen", "Chlorine", "Carbon dioxide"),
        new("chemistry", "Which metal is a liquid at room temperature?", "Mercury", "Lead", "Tin", "Sodium"),
    ];

    // ------------------------------------------------------------------ logic

    private static List<WorkloadItem> LogicItems()
    {
        var rng = new Random(LogicSeed);
        var items = new List<WorkloadItem>(LogicCount);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < LogicCount; i++)
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

    // ------------------------------------------------------------------ extraction

    // Target document sizes in characters, from a short note to a long file; each document type cycles through them
    // (16 sizes x 5 document types = 80 items, so the 160 items walk the ladder twice).
    private static readonly int[] DocSizes =
    [
        150, 400, 800, 1300, 2000, 2900, 3900, 5100, 6500, 8000, 9000, 10_000, 11_000, 12_000, 13_500, 15_000,
    ];

    // No target above this: a generator may run one line past its target and the instructions add about 300
    // characters, which keeps the longest extraction prompt under MaxPromptChars.
    private const int MaxDocTarget = 14_800;

    private static List<WorkloadItem> ExtractionItems()
    {
        var rng = new Random(ExtractionSeed);
        var items = new List<WorkloadItem>(ExtractionCount);
        for (int i = 0; i < ExtractionCount; i++)
        {
            int size = DocSizes[i / 5 % DocSizes.Length];
            int target = Math.Min(MaxDocTarget, size + rng.Next(-size / 20, size / 20 + 1)); // +-5% so sizes are not all round numbers
            var (task, doc, question, answer) = (i % 5) switch
            {
                0 => Invoice(rng, target),
                1 => LogFile(rng, target),
                2 => MeetingNotes(rng, target),
                3 => Inventory(rng, target),
                _ => StaffDirectory(rng, target),
            };
            string prompt = "Read the document below, then answer the question after it.\n\n<document>\n" + doc +
                "\n</document>\n\nQuestion: " + question +
                "\nAnswer with the value only, exactly as it is written in the document.";
            items.Add(Item(Id("extract", i), "extraction", null, prompt, answer, "exact", "short", task,
                ("doc_chars", doc.Length.ToString(Inv))));
        }

        return items;
    }

    private static (string Task, string Doc, string Question, string Answer) Invoice(Random rng, int target)
    {
        string number = F($"INV-{rng.Next(10000, 100000)}");
        int vendor = rng.Next(Companies.Length);
        int customer = (vendor + 1 + rng.Next(Companies.Length - 1)) % Companies.Length;
        decimal rate = Pick(rng, TaxRates);
        decimal shipping = rng.Next(0, 60) * 0.5m;

        var sb = new StringBuilder();
        sb.Append(F($"INVOICE {number}\nVendor: {Companies[vendor]}\nBill to: {Companies[customer]}\nIssue date: {RandomDate(rng)}\nPayment terms: net {Pick(rng, PaymentTerms)} days\nCurrency: USD\n\n"));
        sb.Append("Qty  Description                         Unit price      Amount\n");

        const int FooterLength = 90; // approximate size of the totals block appended below
        decimal subtotal = 0m;
        int lines = 0;
        do
        {
            int qty = rng.Next(1, 25);
            decimal unit = rng.Next(50, 20000) * 0.01m;
            decimal amount = qty * unit;
            subtotal += amount;
            sb.Append(F($"{qty,3}  {Pick(rng, Products),-34} {unit,10:0.00} {amount,11:0.00}\n"));
            lines++;
        }
        while (sb.Length + FooterLength < target);

        decimal tax = Math.Round(subtotal * rate / 100m, 2, MidpointRounding.AwayFromZero);
        decimal total = subtotal + tax + shipping;
        sb.Append(F($"\nLine items: {lines}\nSubtotal: {subtotal:0.00}\nTax ({rate:0.##}%): {tax:0.00}\nShipping: {shipping:0.00}\nTotal due: {total:0.00}"));

        // Mostly ask for the total; sometimes the tax, so the answer is not always the last number.
        return rng.Next(3) == 0
            ? ("invoice-tax", sb.ToString(), "What is the tax amount charged on this invoice?", tax.ToString("0.00", Inv))
            : ("invoice-total", sb.ToString(), "What is the total amount due on this invoice?", total.ToString("0.00", Inv));
    }

    private readonly record struct LogLine(string Time, string Level, string RequestId, string Service, string Message)
    {
        public override string ToString() => $"{Time} {Level,-5} [{RequestId}] {Service}: {Message}";
    }

    private static (string Task, string Doc, string Question, string Answer) LogFile(Random rng, int target)
    {
        string date = RandomDate(rng);
        int clock = rng.Next(0, 12 * 3600); // seconds since midnight; lines only move forward in time
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<LogLine>();
        int length = 0;
        do
        {
            clock += rng.Next(1, 45);
            string id;
            do
            {
                id = F($"req-{rng.Next(0x100000, 0x1000000):x6}");
            }
            while (!ids.Add(id)); // request ids are unique, so the answer is unambiguous

            int roll = rng.Next(10);
            var (level, messages) = roll < 6 ? ("INFO", InfoMessages) : roll < 8 ? ("DEBUG", DebugMessages) : ("WARN", WarnMessages);
            string message = Pick(rng, messages).Replace("#", rng.Next(2, 100).ToString(Inv));
            var line = new LogLine(Clock(date, clock), level, id, Pick(rng, Services), message);
            lines.Add(line);
            length += line.ToString().Length + 1;
        }
        while (lines.Count < 3 || length < target);

        // Exactly one line becomes the ERROR line.
        int errorAt = rng.Next(lines.Count);
        lines[errorAt] = lines[errorAt] with { Level = "ERROR", Message = Pick(rng, ErrorMessages) };
        string doc = string.Join("\n", lines.Select(l => l.ToString()));
        return ("log-error-id", doc,
            "Exactly one line in this log has the level ERROR. What is the request id (the value in square brackets) on that line?",
            lines[errorAt].RequestId);
    }

    private static (string Task, string Doc, string Question, string Answer) MeetingNotes(Random rng, int target)
    {
        string project = "Project " + Pick(rng, ProjectNames);
        var roles = new List<string>(Roles);
        Shuffle(rng, roles);
        int attendees = Math.Min(roles.Count, 3 + target / 1500); // longer notes come from bigger meetings
        var used = new HashSet<string>(StringComparer.Ordinal);
        var names = new List<string>(attendees);
        for (int k = 0; k < attendees; k++)
        {
            names.Add(NewName(rng, used));
        }

        var sb = new StringBuilder();
        sb.Append(F($"Meeting notes: {project} weekly sync\nDate: {RandomDate(rng)}\nAttendees:\n"));
        for (int k = 0; k < attendees; k++)
        {
            sb.Append(F($"- {names[k]} ({roles[k]})\n"));
        }

        sb.Append("\nDiscussion:\n");
        const int ActionItemsLength = 150; // approximate size of the action items appended below
        do
        {
            string update = Pick(rng, MeetingUpdates).Replace("#", rng.Next(2, 40).ToString(Inv));
            sb.Append(F($"- {Pick(rng, names)} {update}\n"));
        }
        while (sb.Length + ActionItemsLength < target);

        sb.Append("\nAction items:");
        for (int k = 0; k < 2; k++)
        {
            sb.Append(F($"\n- {Pick(rng, names)} to {Pick(rng, MeetingActions)} by {Pick(rng, Days)}."));
        }

        int asked = rng.Next(attendees);
        return ("meeting-role", sb.ToString(), F($"According to the attendee list, what is {names[asked]}'s role?"), roles[asked]);
    }

    private static (string Task, string Doc, string Question, string Answer) Inventory(Random rng, int target)
    {
        var sb = new StringBuilder();
        sb.Append(F($"Stock report for warehouse WH-{rng.Next(10, 100)}, {RandomDate(rng)}\n\n| SKU | Item | Bin | On hand | Reserved |\n|---|---|---|---|---|"));
        var skus = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<(string Sku, int OnHand)>();
        do
        {
            string sku;
            do
            {
                sku = F($"{Pick(rng, SkuPrefixes)}-{rng.Next(1000, 10000)}");
            }
            while (!skus.Add(sku));

            string bin = BinLetters[rng.Next(BinLetters.Length)] + rng.Next(1, 40).ToString("D2", Inv);
            int onHand = rng.Next(0, 2500), reserved = rng.Next(0, 200);
            sb.Append(F($"\n| {sku} | {Pick(rng, Products)} | {bin} | {onHand} | {reserved} |"));
            rows.Add((sku, onHand));
        }
        while (rows.Count < 3 || sb.Length < target);

        var asked = rows[rng.Next(rows.Count)];
        return ("inventory-quantity", sb.ToString(), F($"How many units of SKU {asked.Sku} are on hand?"), asked.OnHand.ToString(Inv));
    }

    private static (string Task, string Doc, string Question, string Answer) StaffDirectory(Random rng, int target)
    {
        var sb = new StringBuilder();
        sb.Append(F($"{Pick(rng, Companies)} internal phone directory\n\nName | Department | Office | Extension"));
        var names = new HashSet<string>(StringComparer.Ordinal);
        var extensions = new HashSet<int>();
        var rows = new List<(string Name, int Extension)>();
        do
        {
            string name = NewName(rng, names);
            int extension;
            do
            {
                extension = rng.Next(2000, 9000);
            }
            while (!extensions.Add(extension));

            string office = F($"{Pick(rng, Buildings)} {rng.Next(1, 6)}.{rng.Next(1, 40):D2}");
            sb.Append(F($"\n{name} | {Pick(rng, Departments)} | {office} | {extension}"));
            rows.Add((name, extension));
        }
        while (rows.Count < 3 || sb.Length < target);

        var asked = rows[rng.Next(rows.Count)];
        return ("directory-extension", sb.ToString(), F($"What is the phone extension of {asked.Name}?"), asked.Extension.ToString(Inv));
    }

    // ------------------------------------------------------------------ summarization

    private static List<WorkloadItem> SummaryItems()
    {
        var rng = new Random(SummarySeed);

        // Evenly spaced passage lengths from 500 to 15,000 characters, shuffled so length does not grow with the id;
        // a passage never exceeds its target and the longest instruction is under 150 characters, so the prompt
        // stays under MaxPromptChars.
        var targets = Enumerable.Range(0, SummaryCount)
            .Select(k => 500 + k * (15_000 - 500) / (SummaryCount - 1))
            .ToList();
        Shuffle(rng, targets);

        var items = new List<WorkloadItem>(SummaryCount);
        for (int i = 0; i < SummaryCount; i++)
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

    private static readonly string[] ThemeNames = ["town", "project", "device"];

    private static readonly (string Instruction, string Expected)[] SummaryInstructions =
    [
        ("Summarize the following passage in three sentences.", "medium"),
        ("Write a one-paragraph summary of the text below.", "medium"),
        ("List the five most important points of the following text as bullet points.", "medium"),
        ("Write a detailed summary of about 200 words of the following document, covering its main themes and any disagreements it mentions.", "long"),
        ("In one or two sentences, what is the following passage mostly about?", "short"),
    ];

    private static readonly string[] Intros =
    [
        "What follows is a short portrait of {T}, a town better known to its own residents than to the rest of the region.",
        "This report reviews {T}, an effort that began with modest goals and gradually grew into something much larger.",
        "This overview covers the {T}, a household device that has attracted both loyal fans and persistent critics.",
    ];

    // Tokens: {T} subject, {L} leader, {F} founding/start year, {K} key figure (fixed per passage);
    // {P} and {Q} people, {Y} a later year, {N} a small number, {M} a larger number, {PCT} a percentage,
    // {MON} a month and {PL} another town (fresh for each sentence).
    private static readonly string[][] ThemeFacts =
    [
        [
            "According to the parish records, {T} was founded in {F} by families who came to work the slate quarries on the eastern ridge.",
            "Today the town has about {K} residents, most of whom live within a short walk of the old market square.",
            "The current mayor, {L}, grew up above the bakery on Kettle Lane and still buys bread there every morning.",
            "The town sits in a broad valley, and for most of its history it was reached by a single road that flooded every few winters.",
            "Its best-known landmark is a crooked clock tower whose bell has rung slightly out of tune since a lightning strike.",
            "Local people describe the climate as mild but stubborn: fog settles in the valley each morning and rarely lifts before noon.",
        ],
        [
            "{T} began in {F} as a small internal effort to replace a paper-based system for booking shared equipment.",
            "The project is led by {L}, who joined after running logistics for a regional network of clinics.",
            "Its total budget has grown to about {K}, roughly three times the figure in the original proposal.",
            "The team is split between two offices, and most planning happens in a long meeting every Tuesday morning.",
            "The stated goal is to let any clinic book a piece of shared equipment in under a minute.",
            "From the start, the project was required to publish a short progress report every quarter.",
        ],
        [
            "The {T} was released in {F} by a small manufacturer that had previously made only bathroom scales.",
            "Its chief designer, {L}, has said the goal was a device that needs no manual at all.",
            "According to the company, about {K} units have been sold so far.",
            "The device has a round aluminium body, a single dial, and a small display that dims when nobody is nearby.",
            "It connects to a home network over Wi-Fi but can also run entirely offline.",
            "The battery is meant to last about two years, and replacing it requires only a coin to open the back cover.",
        ],
    ];

    private static readonly string[][] ThemeEvents =
    [
        [
            "In {Y}, the council approved a plan to reopen the disused railway halt, and the first train in decades arrived in {MON}.",
            "The annual lantern festival draws roughly {M} visitors, and guests who cannot find a room in {T} stay in {PL} instead.",
            "A fire in {Y} destroyed {N} workshops on the riverbank, and it took the community almost a decade to rebuild them.",
            "{P}, a retired schoolteacher, started a weekly walking tour that now covers {N} historic buildings.",
            "The local football club has never won a regional title, but it still attracts crowds of several hundred on Saturday afternoons.",
            "Between {Y} and the following spring, rents in the town centre rose by {PCT} percent, prompting a heated public meeting.",
            "The library moved into the former wool exchange after a fundraising drive led by {P} raised {M} dollars.",
            "Farmers around {T} grow mostly barley and apples, and the cider press on the north road runs from {MON} until the first frost.",
            "A dispute over the new footbridge divided residents for {N} months until {P} proposed a design with a wider deck.",
            "The primary school now has {N} classes, up from just two when it first opened.",
            "Many young people leave to study in {PL}, although a growing number return to start small businesses.",
            "The Thursday market sells cheese, honey, rope and secondhand tools, and some stalls have been run by the same family for generations.",
            "In {MON} {Y}, a storm brought down the old elm outside the town hall, and {P} carved a bench from its trunk.",
            "A council survey found that {PCT} percent of households would support closing the square to cars at weekends.",
        ],
        [
            "In {MON} {Y}, the team shipped its first pilot to {N} sites, and early feedback focused mostly on the confusing search screen.",
            "{P} rewrote the data import pipeline, which cut the nightly processing time by {PCT} percent.",
            "A review in {Y} found that {N} of the original requirements had quietly been dropped without anyone signing off.",
            "The steering committee, chaired by {P}, briefly considered cancelling the project after a costly delay.",
            "Testing uncovered a rounding error that had overcharged {M} customers by a few cents each.",
            "To reduce risk, the team moved to releasing small changes every two weeks instead of one large update per quarter.",
            "{P} and {Q} disagreed publicly about whether to build a mobile app or improve the website first.",
            "By the end of {Y}, about {M} people were using the system every week.",
            "An outage in {MON} lasted {N} hours and was traced to an expired security certificate.",
            "The documentation, largely written by {P}, is now considered one of the project's strengths.",
            "Contractors from {PL} were brought in for {N} months to help with accessibility testing.",
            "Staff turnover remained a concern, with {PCT} percent of the original team having moved to other roles.",
            "A user survey found that most complaints were about slow page loads rather than missing features.",
            "Plans for the next phase include an offline mode for sites with poor network connections.",
        ],
        [
            "A firmware update in {MON} {Y} added a holiday mode and fixed a bug that made the display flicker.",
            "Reviewers praised the dial, but {P}, writing for a consumer magazine, complained that the setup took {N} minutes.",
            "In cold weather, some owners reported that the readings lagged by {N} degrees before catching up.",
            "The company recalled {M} units in {Y} after a batch of faulty charging cables was discovered.",
            "{P}, who repairs electronics in {PL}, noted that the internal parts are unusually easy to replace.",
            "A survey of owners found that {PCT} percent used the scheduling feature at least once a week.",
            "Early versions of the companion app drained phone batteries, a problem fixed in a later release.",
            "The price dropped by {PCT} percent in {Y}, shortly before a cheaper competitor arrived.",
            "Support forums are full of creative uses, from monitoring greenhouses to keeping a violin case at a steady humidity.",
            "{P} wrote an open guide explaining how to calibrate the sensor, which has since been read by thousands of owners.",
            "Some critics argue that the device collects more usage data than it needs, although the company disputes this.",
            "A second-generation model is rumoured for release in {MON}, with a larger display and a brighter backlight.",
            "Installers in {PL} say that about one in {N} installations needs an extra adapter plate for older wiring.",
            "The packaging is made entirely of recycled cardboard, a choice {P} described as long overdue.",
        ],
    ];

    private static readonly string[] CommonSentences =
    [
        "Not everyone agrees with this account, and {P} has argued that the records from {Y} are incomplete.",
        "Looking back, many of those involved say the hardest part was not the work itself but keeping everyone informed.",
        "A local newspaper ran a series of {N} articles on the subject, which prompted a flood of letters.",
        "Visitors from {PL} have come several times, hoping to learn from what worked and what did not.",
        "In interviews, {P} stressed that progress was slower than hoped but steadier than critics predicted.",
        "Public opinion has shifted over time, and a poll in {Y} put approval at {PCT} percent.",
        "Some of the most useful ideas came from people who were only loosely connected to the effort.",
        "Costs rose sharply in {Y}, mainly because of delays in deliveries from {PL}.",
        "{P} keeps an informal archive of photographs and notes that has become a valuable source for anyone writing about the subject.",
        "Whether the current approach will last is still an open question.",
        "Records from {Y} show that {N} volunteers gave up their weekends to help, most of them without being asked twice.",
        "{P} later admitted that several early decisions were made in a hurry and had to be revisited.",
        "A short documentary filmed in {MON} {Y} gave outsiders their first real look at the effort.",
        "Critics in {PL} have called the whole thing overrated, a charge that supporters find puzzling.",
        "{P} and {Q} still disagree about who first suggested the idea, and both tell the story with obvious enjoyment.",
        "An independent review in {Y} concluded that the benefits outweighed the costs, though only narrowly.",
        "For every success there were setbacks, and {N} of them are still discussed whenever old colleagues meet.",
        "Much of the early enthusiasm came from people who simply liked being part of something new.",
    ];

    private static readonly string[] Connectors =
    [
        "Later, ", "Meanwhile, ", "At the same time, ", "Notably, ", "Over the following years, ",
        "Perhaps surprisingly, ", "According to several accounts, ",
    ];

    // ------------------------------------------------------------------ chat

    private static List<WorkloadItem> ChatItems()
    {
        var items = new List<WorkloadItem>(ChatPrompts.Length);
        for (int i = 0; i < ChatPrompts.Length; i++)
        {
            var (system, prompt, expected) = ChatPrompts[i];
            items.Add(Item(Id("chat", i), "chat", system, prompt, null, null, expected, "open-ended"));
        }

        return items;
    }

    private static readonly (string? System, string Prompt, string Expected)[] ChatPrompts =
    [
        (null, "Tell me a fun fact.", "short"),
        (null, "Why do onions make people cry when they are chopped?", "medium"),
        (null, "Write a short poem about a lighthouse keeper who has never once seen the sea in daylight.", "medium"),
        ("You are a friendly, practical career coach.", "I have an interview for a junior accountant position on Monday morning. What should I do over the weekend to prepare?", "medium"),
        (null, "Plan a three-day walking itinerary for a first visit to a mid-sized coastal town. Include a rainy-day alternative for each day.", "long"),
        (null, "Explain how a refrigerator keeps food cold, as if I were twelve years old.", "medium"),
        (null, "Give me five name ideas for a small bakery that specializes in rye bread.", "short"),
        (null, "What is the difference between weather and climate?", "medium"),
        (null, "Write a haiku about the first frost of autumn.", "short"),
        (null, "My sourdough loaves keep coming out dense and flat. What are the most likely causes, and how can I fix each one?", "medium"),
        (null, "Draft a polite note to a neighbour asking them to trim a hedge that has grown across the footpath.", "medium"),
        (null, "I'm an adult beginner deciding between piano and guitar. Compare the two for someone with about thirty minutes a day to practise, and tell me which you would recommend.", "medium"),
        ("You are an encouraging running coach. Keep your advice safe for beginners.", "Create a four-week plan for someone who currently cannot run for more than two minutes without stopping. Lay it out week by week.", "long"),
        (null, "Explain what a hash table is and why looking up a key is usually fast.", "medium"),
        (null, "Write a limerick about a cat that is convinced it owns the house.", "short"),
        (null, "How can I stay focused while working from home with two young children around?", "medium"),
        (null, "Describe the water cycle in exactly four sentences.", "short"),
        (null, "Suggest a vegetarian dinner menu for six guests with a starter, a main course and a dessert, then give me a combined shopping list.", "long"),
        (null, "What are some good questions to ask at the end of a job interview?", "medium"),
        (null, "Write the opening paragraph of a mystery story set in a mountain observatory that has been snowed in for a week.", "medium"),
        (null, "Explain compound interest and walk through a simple numeric example.", "medium"),
        (null, "I keep forgetting to drink water during the day. Any practical tips?", "short"),
        ("You are a community organizer who gives concise, actionable plans.", "Outline a plan for running a neighbourhood book swap, from finding a venue to spreading the word and handling leftover books.", "long"),
        (null, "Why does the moon look bigger when it is close to the horizon?", "medium"),
        (null, "Write a short, warm message to a friend who just failed their driving test for the second time.", "short"),
        (null, "What are the pros and cons of keeping a paper journal versus a digital one?", "medium"),
        (null, "Teach me the basic rules of chess in under 200 words.", "medium"),
        ("You are a helpful assistant for people who share a home.", "Four of us share a flat with one bathroom and a small kitchen. Propose a fair weekly cleaning schedule and suggest how to handle weeks when someone is away.", "medium"),
        (null, "Write a short speech for the retirement party of a school librarian who worked at the same school for thirty-one years. She loved maps, terrible puns and the smell of new books.", "long"),
        (null, "How do noise-cancelling headphones actually work?", "medium"),
        (null, "What is a good way to remember people's names after being introduced?", "short"),
        (null, "Write a four-line rhyming poem about a bicycle with a squeaky wheel.", "short"),
        ("You are a patient maths tutor. Explain step by step and avoid jargon.", "Why does dividing by a fraction give a bigger number? Use a pizza example.", "medium"),
        (null, "Compare taking the train and flying for a 600-kilometre trip, considering cost, time, comfort and emissions.", "medium"),
        (null, "Suggest three board games for a family with children aged six and ten, and say why each one works.", "medium"),
        (null, "Explain the difference between a virus and a bacterium in plain language.", "medium"),
        (null, "Give me a one-sentence summary of why sleep matters.", "short"),
        (null, "Write a short story of about 300 words about a robot who runs a tiny repair shop at the edge of a desert town.", "long"),
        ("You are a careful editor who keeps the author's voice.", "Tighten this sentence without changing its meaning: \"At this point in time, we are currently in the process of reviewing all of the applications that have been submitted to us.\"", "short"),
        (null, "What should I look for when buying a second-hand bicycle?", "medium"),
        (null, "Explain recursion to someone who has just started learning to program, with a small example in any language.", "medium"),
        (null, "I have eggs, spinach, half an onion, some cheese and stale bread. What can I cook for dinner tonight?", "medium"),
        (null, "Write a thank-you note to a colleague who covered my shifts while I was ill.", "short"),
        ("You are a travel planner who prefers slow travel and public transport.", "Plan a relaxed five-day trip through a region with small villages, a lake and some easy hiking. Include where to stay each night and how to get between places.", "long"),
        (null, "Why is the sky blue during the day and red at sunset?", "medium"),
        (null, "List five simple habits that can make a small apartment feel tidier.", "short"),
        (null, "What are the main differences between a vegan and a vegetarian diet?", "short"),
        (null, "Write a product description for a handmade ceramic teapot that keeps tea warm for a long time.", "medium"),
        (null, "How do I politely decline an invitation to a wedding I cannot afford to attend?", "medium"),
        ("You are a gardening expert who gives advice suited to beginners.", "My tomato plants have yellow leaves at the bottom. What could be wrong and what should I do?", "medium"),
        (null, "Explain what inflation is and why a little of it is usually considered normal.", "medium"),
        (null, "Write a riddle whose answer is \"a shadow\".", "short"),
        (null, "Describe how to make a paper aeroplane that flies well, step by step.", "medium"),
        (null, "Write a detailed, friendly guide for someone hosting their first dinner party: planning, shopping, cooking timeline, and how to relax on the night.", "long"),
        (null, "What is the difference between a list and a set in programming?", "short"),
        ("You are a calm, supportive study coach.", "I have three exams in the next ten days and I feel overwhelmed. Help me make a realistic study plan.", "long"),
        (null, "Give me three ideas for a birthday present for a friend who loves astronomy but already owns a telescope.", "short"),
        (null, "Why do cats purr?", "short"),
        (null, "Explain the basic idea behind public-key encryption using an everyday analogy.", "medium"),
        (null, "Write a dialogue of about ten lines between a grumpy ferry captain and an overly cheerful tourist.", "medium"),
        (null, "What are some ways to reduce food waste at home?", "medium"),
        (null, "Summarize the plot of a made-up fairy tale about a fox who wants to become a baker, in five sentences.", "medium"),
        ("You answer in exactly three bullet points.", "What should a beginner know before adopting a dog?", "short"),
        (null, "Write an essay of about 500 words on whether small towns should try to attract tourists, considering both sides.", "long"),
        (null, "How does a bill become law in a typical parliamentary system? Keep it general.", "medium"),
        (null, "Give me a quick warm-up routine I can do before a morning run.", "short"),
        (null, "What is the difference between a simile and a metaphor? Give one example of each.", "short"),
        (null, "I want to start learning a new language as an adult. How should I structure my first three months?", "long"),
        ("You are a helpful assistant for a small library.", "Write a short announcement inviting teenagers to a new monthly comic-drawing workshop.", "medium"),
        (null, "Explain why leaves change colour in autumn.", "medium"),
        (null, "Write a haiku about a city bus at midnight.", "short"),
        (null, "What are the advantages and disadvantages of working a four-day week?", "medium"),
        (null, "Describe, in detail, how you would organize a clean-up day for a neighbourhood park: volunteers, tools, safety and what to do with the rubbish.", "long"),
        (null, "How can I tell whether an egg is still fresh?", "short"),
        (null, "Write a motivational message for a team that has just missed an important deadline.", "medium"),
        ("You are a cautious personal finance assistant. Do not recommend specific products.", "How should someone in their twenties think about building an emergency fund?", "medium"),
        (null, "Explain the rules of tennis scoring, including deuce and advantage.", "medium"),
        (null, "Invent a new holiday and describe how people would celebrate it.", "medium"),
        (null, "Write a long bedtime story about a lighthouse, a seagull and a lost rowing boat, suitable for a five-year-old.", "long"),
        (null, "What is one thing I can do today to improve my posture at my desk?", "short"),
    ];

    // ------------------------------------------------------------------ shared vocabulary (all invented)

    private static readonly string[] FirstNames =
    [
        "Odalys", "Brannoc", "Yesenia", "Corwin", "Talvi", "Ismay", "Dagny", "Emeka", "Farida", "Giulio",
        "Haruki", "Ilse", "Jovan", "Kalinda", "Lucan", "Marisol", "Nerys", "Oren", "Priya", "Quillan",
        "Rosalind", "Soren", "Tamsin", "Ulric",
    ];

    private static readonly string[] LastNames =
    [
        "Ashgrove", "Brackwater", "Cindermoor", "Dunhallow", "Elderwick", "Fallowmere", "Greythorn", "Hollins",
        "Ivybridge", "Juniper", "Kestrelton", "Longmarsh", "Mallory", "Nettlefield", "Orchardson", "Pennick",
        "Quarrie", "Rookwood", "Saltash", "Thistlewood", "Underhill", "Varden", "Wrenfield", "Yarrow",
    ];

    private static readonly string[] Towns =
    [
        "Marrowby", "Quenby Ferris", "Tarnhollow", "Brisklow", "Ferncaster", "Wendle Cross", "Saltreach", "Pellowick",
    ];

    private static readonly string[] ProjectNames =
    [
        "Lanternfish", "Bramblegate", "Tidewell", "Copperleaf", "Nightjar", "Halcyon Row", "Wickerline", "Foxglove",
    ];

    private static readonly string[] DeviceNames =
    [
        "Corvane K7 thermostat", "Lumetta Halo desk lamp", "Brisa Mini air purifier", "Tallowby Pulse bread maker",
        "Orrin Dial radiator valve", "Quillo Air humidity monitor",
    ];

    private static readonly string[] Companies =
    [
        "Brightmoor Supply Co.", "Quillfeather Studio", "Harrowgate Tinworks", "Saltmarsh Ceramics", "Velloway Analytics",
        "Ormsby & Penn Joinery", "Kettleby Growers", "Larkspur Robotics", "Dunmere Freight", "Whistlecombe Bakery",
    ];

    private static readonly string[] Products =
    [
        "Oak shelf bracket", "Copper wire, 10 m coil", "Linen tea towel", "Ceramic planter, small", "Ceramic planter, large",
        "Brass cabinet hinge", "LED strip, warm white, 5 m", "Recycled paper ream", "Beeswax candles, pack of 6",
        "Steel bolts M8, box of 50", "Wool blanket, grey", "Enamel camping mug", "Cordless drill battery",
        "Garden twine, 100 m", "Glass storage jar, 1 L", "Cotton work gloves", "Walnut cutting board", "Solder wire, 250 g",
        "Hemp rope, 20 m", "Felt chair pads, set of 16",
    ];

    private static readonly string[] Goods =
    [
        "notebooks", "gel pens", "tins of tea", "bags of rice", "jars of honey", "packs of batteries",
        "ceramic mugs", "bunches of tulips", "loaves of bread", "rolls of tape",
    ];

    private static readonly string[] SaleItems = ["winter coat", "desk lamp", "pair of hiking boots", "bicycle helmet", "kettle", "backpack"];

    private static readonly string[] Purchases = ["bicycle", "guitar", "tent", "phone case", "pair of skates", "board game"];

    private static readonly int[] CyclistSpeeds = [12, 15, 18, 21, 24, 27, 30];

    private static readonly int[] TestSizes = [20, 25, 40, 50, 80];

    private static readonly int[] GlassSizes = [150, 200, 250, 300, 330];

    private static readonly int[] TraySizes = [6, 8, 12, 16];

    private static readonly int[] RecipeServings = [2, 3, 4, 6, 8];

    private static readonly int[] MapScales = [10_000, 25_000, 50_000, 100_000, 200_000, 250_000];

    private static readonly (string Dish, string Ingredient)[] Recipes =
    [
        ("vegetable soup", "carrots"), ("pancakes", "flour"), ("fruit salad", "grapes"), ("risotto", "rice"),
        ("oat biscuits", "oats"), ("tomato sauce", "tomatoes"), ("lentil stew", "lentils"), ("apple crumble", "butter"),
    ];

    private static readonly (string More, string Less, string Most, string Least, string Quality)[] Comparisons =
    [
        ("taller", "shorter", "tallest", "shortest", "heights"),
        ("older", "younger", "oldest", "youngest", "ages"),
        ("faster", "slower", "fastest", "slowest", "running speeds"),
        ("heavier", "lighter", "heaviest", "lightest", "weights"),
    ];

    private static readonly string[] CountWords = ["Zero", "One", "Two", "Three", "Four", "Five"];

    private static readonly (string Group, string A, string B)[] Clubs =
    [
        ("students", "play an instrument", "sing in the choir"),
        ("hikers", "carry a map", "carry a compass"),
        ("guests", "drink coffee", "drink tea"),
        ("gardeners", "grow tomatoes", "grow beans"),
        ("club members", "swim", "cycle"),
    ];

    // Invented words that all start with a consonant, so "a <word>" is always grammatical.
    private static readonly string[] NonsenseWords =
    [
        "blicket", "dorn", "frell", "gromp", "kravat", "lunt", "mibble", "nork",
        "plimsy", "quoff", "rindle", "snib", "tharp", "vosk", "wemble", "zint",
    ];

    private static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

    private static readonly string[] Months =
    [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ];

    private static readonly decimal[] TaxRates = [5m, 6.5m, 7m, 8.25m, 10m, 20m];

    private static readonly int[] PaymentTerms = [14, 30, 45, 60];

    private static readonly string[] Services = ["api-gateway", "billing", "auth", "search", "inventory-sync", "mailer", "scheduler"];

    private static readonly string[] InfoMessages =
    [
        "handled GET /api/orders in # ms", "handled POST /api/cart in # ms", "user session refreshed after # s",
        "cache warmed with # entries", "scheduled job finished, # rows updated", "health check passed in # ms",
        "sent # notification emails",
    ];

    private static readonly string[] DebugMessages =
    [
        "retrying upstream call, attempt #", "query plan cached after # ms", "payload size # KB", "connection pool at # of 100",
    ];

    private static readonly string[] WarnMessages =
    [
        "slow response from upstream: # ms over budget", "disk usage at #% on /var/data",
        "deprecated API version used by client #", "rate limit nearly reached: # requests left in window",
    ];

    private static readonly string[] ErrorMessages =
    [
        "unhandled exception: null reference in order total calculation", "database connection refused after 3 retries",
        "payment provider returned status 502", "failed to write checkpoint: permission denied",
    ];

    private static readonly string[] Roles =
    [
        "release manager", "data engineer", "site reliability engineer", "product designer", "QA lead", "technical writer",
        "procurement officer", "security analyst", "customer support lead", "finance controller", "project sponsor",
        "firmware engineer",
    ];

    private static readonly string[] MeetingUpdates =
    [
        "said the # open bugs in the importer should be fixed before the next release.",
        "asked whether the vendor contract can be extended by # months.",
        "reported that the staging environment was down for # hours on Monday.",
        "will share an updated timeline once the hardware samples arrive.",
        "noted that # customers asked for a spreadsheet export this week.",
        "proposed moving the demo to the following sprint to leave room for testing.",
        "confirmed the budget review is scheduled and needs figures by Friday.",
        "raised a concern that the documentation for the setup wizard is out of date.",
        "suggested pairing new hires with a mentor for their first # weeks.",
        "summarized the security audit: # findings, none of them critical.",
        "reminded everyone that the office will be closed for maintenance next week.",
        "presented survey results showing # percent of users prefer the new layout.",
    ];

    private static readonly string[] MeetingActions =
    [
        "send the revised estimate", "book a room for the design review", "update the risk register",
        "draft the release notes", "follow up with the vendor", "close out the stale tickets",
    ];

    private static readonly string[] SkuPrefixes = ["HW", "TX", "EL", "KT", "GD", "PP"];

    private const string BinLetters = "ABCDEFGH";

    private static readonly string[] Departments =
    [
        "Finance", "Logistics", "Customer Support", "Engineering", "Facilities", "Legal", "Marketing", "Research",
        "Procurement", "People Operations",
    ];

    private static readonly string[] Buildings = ["North Wing", "Harbour House", "Annex", "Mill Building"];

    // ------------------------------------------------------------------ helpers

    private static WorkloadItem Item(
        string id, string subject, string? system, string prompt, string? reference, string? grader,
        string expectedOutput, string task, params (string Key, string Value)[] extra)
    {
        var messages = new List<ChatMessage>(2);
        if (system is not null)
        {
            messages.Add(new ChatMessage("system", system));
        }

        messages.Add(new ChatMessage("user", prompt));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["category"] = subject,
            ["task"] = task,
            ["expected_output"] = expectedOutput,
        };
        foreach (var (key, value) in extra)
        {
            metadata[key] = value;
        }

        return new WorkloadItem(id, messages, reference, grader, subject, metadata);
    }

    private static string Id(string prefix, int index) => F($"{prefix}-{index + 1:D4}");

    /// <summary>Formats with the invariant culture, so numbers look the same on every machine.</summary>
    private static string F(FormattableString text) => text.ToString(Inv);

    /// <summary>A reference number: invariant, no thousands separators, no trailing zeros.</summary>
    private static string Num(decimal value) => value.ToString("0.####", Inv);

    private static string Plural(int count, string unit) => F($"{count} {unit}") + (count == 1 ? "" : "s");

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    private static string Ordinal(int n)
    {
        string suffix = (n % 100) is 11 or 12 or 13
            ? "th"
            : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
        return n.ToString(Inv) + suffix;
    }

    private static string JoinList(IReadOnlyList<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];

    private static string RandomDate(Random rng) =>
        F($"{rng.Next(2029, 2036)}-{rng.Next(1, 13):D2}-{rng.Next(1, 29):D2}");

    private static string Clock(string date, int seconds) =>
        F($"{date}T{seconds / 3600 % 24:D2}:{seconds / 60 % 60:D2}:{seconds % 60:D2}Z");

    private static string FullName(Random rng) => Pick(rng, FirstNames) + " " + Pick(rng, LastNames);

    /// <summary>A full name not in <paramref name="used"/>; adds it there.</summary>
    private static string NewName(Random rng, HashSet<string> used)
    {
        string name;
        do
        {
            name = FullName(rng);
        }
        while (!used.Add(name));

        return name;
    }

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    /// <summary>
    /// Calls <paramref name="make"/> until its prompt is not yet in <paramref name="seen"/>; adds it there. Retries draw
    /// further from the same seeded stream, so the result stays deterministic.
    /// </summary>
    private static T Distinct<T>(HashSet<string> seen, Func<T> make, Func<T, string> prompt)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            var candidate = make();
            if (seen.Add(prompt(candidate)))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("A generator of the ipw workload keeps repeating one prompt.");
    }

    /// <summary>Fisher-Yates shuffle written out, so the order depends only on the seeded stream.</summary>
    private static void Shuffle<T>(Random rng, IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
