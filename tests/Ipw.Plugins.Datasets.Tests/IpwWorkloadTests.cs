using System.Globalization;
using Ipw.Plugins.Datasets;
using Xunit.Abstractions;

namespace Ipw.Plugins.Datasets.Tests;

public sealed class IpwWorkloadTests
{
    private static readonly List<Ipw.Abstractions.WorkloadItem> Items = IpwWorkload.Generate().ToList();

    [Fact]
    public void The_workload_has_its_stated_size_and_unique_ids()
    {
        Assert.Equal(IpwWorkload.ItemCount, Items.Count);
        Assert.Equal(Items.Count, Items.Select(i => i.Id).Distinct().Count());
    }

    [Fact]
    public void It_is_deterministic()
    {
        var again = IpwWorkload.Generate().ToList();
        Assert.Equal(Items.Select(i => (i.Id, i.Prompt, i.Reference)), again.Select(i => (i.Id, i.Prompt, i.Reference)));
    }

    [Fact]
    public void Subjects_are_mixed_from_the_start()
    {
        var subjects = new[] { "math", "knowledge", "logic", "extraction", "summarization", "chat" };
        Assert.Equal(subjects.Order(), Items.Take(20).Select(i => i.Subject!).Distinct().Order());
        Assert.Equal(subjects.Order(), Items.Select(i => i.Subject!).Distinct().Order());
    }

    [Fact]
    public void Verifiable_items_carry_references_their_grader_can_check()
    {
        foreach (var item in Items)
        {
            switch (item.Grader)
            {
                case "numeric":
                    Assert.True(decimal.TryParse(item.Reference, NumberStyles.Number, CultureInfo.InvariantCulture, out _), $"{item.Id}: '{item.Reference}'");
                    break;
                case "choice":
                    Assert.Contains(item.Reference, new[] { "A", "B", "C", "D" });
                    break;
                case "exact":
                    Assert.False(string.IsNullOrWhiteSpace(item.Reference), item.Id);
                    break;
                case null:
                    Assert.Null(item.Reference);
                    break;
                default:
                    Assert.Fail($"{item.Id}: unknown grader {item.Grader}");
                    break;
            }
        }
        Assert.True(Items.Count(i => i.Reference is not null) >= 700, $"{Items.Count(i => i.Reference is not null)} with references");
    }

    [Fact]
    public void Extraction_references_appear_in_the_provided_text()
    {
        foreach (var item in Items.Where(i => i.Subject == "extraction"))
            Assert.Contains(item.Reference!, item.Prompt);
    }

    [Fact]
    public void Prompt_lengths_range_from_a_few_words_to_fifteen_thousand_characters()
    {
        var lengths = Items.Select(i => i.Messages.Sum(m => m.Content.Length)).ToList();
        Assert.True(lengths.Min() < 100, $"shortest {lengths.Min()}");
        Assert.True(lengths.Max() > 14_000, $"longest {lengths.Max()}");
        Assert.True(lengths.Count(l => l > 2000) >= 100, $"{lengths.Count(l => l > 2000)} over 2,000");
    }

    [Fact]
    public void No_prompt_exceeds_the_cap_of_the_tiny_model_context()
    {
        Assert.Equal(15_500, IpwWorkload.MaxPromptChars);
        foreach (var item in Items)
        {
            var chars = item.Messages.Sum(m => m.Content.Length);
            Assert.True(chars <= IpwWorkload.MaxPromptChars, $"{item.Id}: {chars} characters");
        }
    }

    [Fact]
    public void Each_subject_has_its_target_count()
    {
        var counts = Items.GroupBy(i => i.Subject!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(240, counts["math"]);
        Assert.Equal(200, counts["knowledge"]);
        Assert.Equal(200, counts["logic"]);
        Assert.Equal(160, counts["extraction"]);
        Assert.Equal(120, counts["summarization"]);
        Assert.Equal(80, counts["chat"]);
        Assert.Equal(1000, counts.Values.Sum());
    }

    [Theory]
    [InlineData("knowledge")]
    [InlineData("logic")]
    [InlineData("math")]
    public void Prompts_within_a_subject_are_distinct(string subject)
    {
        var prompts = Items.Where(i => i.Subject == subject).Select(i => i.Prompt).ToList();
        var repeated = prompts.GroupBy(p => p, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).FirstOrDefault();
        Assert.True(repeated is null, $"repeated {subject} prompt: {repeated}");
    }

    [Fact]
    public void Each_choice_prompt_lists_four_distinct_options_A_to_D()
    {
        var choice = Items.Where(i => i.Grader == "choice").ToList();
        Assert.Equal(200, choice.Count);
        foreach (var item in choice)
        {
            var options = item.Prompt.Split('\n')
                .Where(l => l.Length > 3 && l[1] == '.' && l[2] == ' ' && l[0] is >= 'A' and <= 'Z')
                .ToList();
            Assert.Equal(new[] { 'A', 'B', 'C', 'D' }, options.Select(l => l[0]));
            var texts = options.Select(l => l[3..].Trim()).ToList();
            Assert.All(texts, t => Assert.False(string.IsNullOrWhiteSpace(t), item.Id));
            Assert.True(texts.Distinct(StringComparer.Ordinal).Count() == 4, $"{item.Id}: {string.Join(" | ", texts)}");
        }
    }

    [Fact]
    public void Ids_have_four_digit_numbers()
    {
        Assert.All(Items, i => Assert.Matches(@"^[a-z]+-\d{4}$", i.Id));
    }

    [Fact]
    public void Subjects_filter_and_repeat_settings_shape_the_workload()
    {
        var options = new Ipw.Abstractions.DatasetOptions(null, new Dictionary<string, string> { ["subjects"] = "math,chat", ["repeat"] = "2" });
        var items = new IpwDataset(options).Items().ToList();
        var once = Items.Count(i => i.Subject is "math" or "chat");
        Assert.Equal(2 * once, items.Count);
        Assert.All(items, i => Assert.Contains(i.Subject, new[] { "math", "chat" }));
        Assert.Equal(items.Count, items.Select(i => i.Id).Distinct().Count());
        Assert.Throws<Ipw.Abstractions.PluginConfigurationException>(() => new IpwDataset(
            new Ipw.Abstractions.DatasetOptions(null, new Dictionary<string, string> { ["repeat"] = "0" })));
    }

    [Fact]
    public void Shuffle_and_sample_give_a_seeded_mixed_subset()
    {
        IpwDataset Open(params (string, string)[] s) => new(new Ipw.Abstractions.DatasetOptions(null, s.ToDictionary(p => p.Item1, p => p.Item2)));
        var a = Open(("shuffle", "true"), ("seed", "5"), ("sample", "100")).Items().Select(i => i.Id).ToList();
        Assert.Equal(100, a.Count);
        Assert.Equal(100, Open(("shuffle", "true"), ("seed", "5"), ("sample", "100")).Count);
        Assert.Equal(a, Open(("shuffle", "true"), ("seed", "5"), ("sample", "100")).Items().Select(i => i.Id));
        Assert.NotEqual(a, Open(("shuffle", "true"), ("seed", "6"), ("sample", "100")).Items().Select(i => i.Id));
        Assert.NotEqual(Items.Take(100).Select(i => i.Id), a);
        Assert.Equal(Items.Take(7).Select(i => i.Id), Open(("sample", "7")).Items().Select(i => i.Id));
        var twice = Open(("shuffle", "true"), ("sample", "3"), ("repeat", "2")).Items().ToList();
        Assert.Equal(6, twice.Count); // each round has its own order
        Assert.Contains("unknown setting 'colour' (known: subjects, shuffle, sample, seed, repeat)",
            Assert.Throws<Ipw.Abstractions.PluginConfigurationException>(() => Open(("colour", "red"))).Message);
    }
}
