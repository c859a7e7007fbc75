using Ipw.Abstractions;
using static Ipw.Plugins.Datasets.Workload.Shared;

namespace Ipw.Plugins.Datasets.Workload;

/// <summary>
/// Math word problems of the built-in workload: nine kinds (shopping, rate, percentages, units, multi-step, averages,
/// savings, ratios, clock time) in turn, each answered with one number.
/// </summary>
internal static class MathSubject
{
    private static readonly WorkloadData Data = WorkloadData.Load("math");

    // Goods, sale items, purchases and recipes (Workload/math.jsonl).
    private static readonly string[] Goods = Data.Strings("goods");
    private static readonly string[] SaleItems = Data.Strings("sale_items");
    private static readonly string[] Purchases = Data.Strings("purchases");
    private static readonly (string Dish, string Ingredient)[] Recipes =
        Data.Rows("recipes", r => (r.String("dish"), r.String("ingredient")));

    // Number tables stay next to the code: each is chosen so the answers come out whole or with few decimals.
    private static readonly int[] CyclistSpeeds = [12, 15, 18, 21, 24, 27, 30];

    private static readonly int[] TestSizes = [20, 25, 40, 50, 80];

    private static readonly int[] GlassSizes = [150, 200, 250, 300, 330];

    private static readonly int[] TraySizes = [6, 8, 12, 16];

    private static readonly int[] RecipeServings = [2, 3, 4, 6, 8];

    private static readonly int[] MapScales = [10_000, 25_000, 50_000, 100_000, 200_000, 250_000];

    public static List<WorkloadItem> Items(int count, int seed)
    {
        var rng = new Random(seed);
        var items = new List<WorkloadItem>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
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

    private static string Plural(int count, string unit) => F($"{count} {unit}") + (count == 1 ? "" : "s");

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}
