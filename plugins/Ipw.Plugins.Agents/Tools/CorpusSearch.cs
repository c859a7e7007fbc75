using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ipw.Plugins.Agents.Tools;

/// <summary>One fact of a corpus: a key and its text.</summary>
public sealed record CorpusEntry(string Key, string Text);

/// <summary>
/// The <c>search</c> tool: a key-value corpus ranked by shared words, offline and deterministic. The query and each
/// entry's key and text are split into lowercase runs of letters and digits; the query loses its stopwords; an entry
/// scores the number of distinct query words it holds; the top three with a score above 0 are returned, ties going to
/// the earlier entry, one line each as <c>KEY: TEXT</c>.
/// </summary>
public sealed partial class CorpusSearch
{
    private static readonly HashSet<string> Stopwords =
        ["a", "an", "and", "the", "of", "in", "on", "for", "to", "is", "what", "how", "many", "much", "per", "at", "by", "with", "from",
         "as", "was", "are", "be", "it", "its", "which", "who"];

    private readonly IReadOnlyList<CorpusEntry> _entries;
    private readonly HashSet<string>[] _words;

    public CorpusSearch(IReadOnlyList<CorpusEntry> entries)
    {
        _entries = entries;
        _words = entries.Select(e => Words(e.Key + " " + e.Text).ToHashSet()).ToArray();
    }

    public int Count => _entries.Count;

    /// <summary>Reads JSON Lines of <c>{"key": ..., "text": ...}</c>.</summary>
    public static CorpusSearch Load(TextReader reader)
    {
        var entries = new List<CorpusEntry>();
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            entries.Add(new CorpusEntry(doc.RootElement.GetProperty("key").GetString()!, doc.RootElement.GetProperty("text").GetString()!));
        }
        return new CorpusSearch(entries);
    }

    /// <summary>The best entries for <paramref name="query"/>, best first (at most <paramref name="top"/>).</summary>
    public IReadOnlyList<CorpusEntry> Find(string query, int top = 3)
    {
        var wanted = Words(query).Where(w => !Stopwords.Contains(w)).Distinct().ToArray();
        return _entries.Select((entry, i) => (entry, i, score: wanted.Count(_words[i].Contains)))
            .Where(x => x.score > 0)
            .OrderByDescending(x => x.score).ThenBy(x => x.i)
            .Take(top).Select(x => x.entry).ToList();
    }

    /// <summary>What the tool answers.</summary>
    public string Run(string query)
    {
        if (string.IsNullOrWhiteSpace(query)) throw new ToolError("search needs a query");
        var found = Find(query);
        return found.Count == 0 ? $"nothing matches '{query}'" : string.Join("\n", found.Select(e => $"{e.Key}: {e.Text}"));
    }

    private static IEnumerable<string> Words(string text) => WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value);

    [GeneratedRegex("[a-z0-9]+")]
    private static partial Regex WordPattern();
}
