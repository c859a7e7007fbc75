using System.Globalization;
using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets.Workload;

/// <summary>
/// What the subject generators of the built-in workload share: the invented vocabulary several of them draw from
/// (<c>Workload/shared.jsonl</c>), the item builder, invariant formatting and the seeded draws.
/// </summary>
internal static class Shared
{
    private static readonly WorkloadData Data = WorkloadData.Load("shared");

    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // Vocabulary used by several subjects; all invented, apart from the days of the week.
    public static readonly string[] FirstNames = Data.Strings("first_names");
    public static readonly string[] LastNames = Data.Strings("last_names");
    public static readonly string[] Towns = Data.Strings("towns");
    public static readonly string[] ProjectNames = Data.Strings("project_names");
    public static readonly string[] Days = Data.Strings("days");

    public static WorkloadItem Item(
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

    public static string Id(string prefix, int index) => F($"{prefix}-{index + 1:D4}");

    /// <summary>Formats with the invariant culture, so numbers look the same on every machine.</summary>
    public static string F(FormattableString text) => text.ToString(Inv);

    /// <summary>A reference number: invariant, no thousands separators, no trailing zeros.</summary>
    public static string Num(decimal value) => value.ToString("0.####", Inv);

    public static string Ordinal(int n)
    {
        string suffix = (n % 100) is 11 or 12 or 13
            ? "th"
            : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
        return n.ToString(Inv) + suffix;
    }

    public static string FullName(Random rng) => Pick(rng, FirstNames) + " " + Pick(rng, LastNames);

    public static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    /// <summary>
    /// Calls <paramref name="make"/> until its prompt is not yet in <paramref name="seen"/>; adds it there. Retries draw
    /// further from the same seeded stream, so the result stays deterministic.
    /// </summary>
    public static T Distinct<T>(HashSet<string> seen, Func<T> make, Func<T, string> prompt)
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
    public static void Shuffle<T>(Random rng, IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
