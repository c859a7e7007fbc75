using System.Globalization;
using Ipw.Plugins.Datasets;

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
        Assert.True(Items.Count(i => i.Reference is not null) >= 200);
    }

    [Fact]
    public void Extraction_references_appear_in_the_provided_text()
    {
        foreach (var item in Items.Where(i => i.Subject == "extraction"))
            Assert.Contains(item.Reference!, item.Prompt);
    }

    [Fact]
    public void Prompt_lengths_range_from_a_few_words_to_thousands_of_tokens()
    {
        var lengths = Items.Select(i => i.Messages.Sum(m => m.Content.Length)).ToList();
        Assert.True(lengths.Min() < 100, $"shortest {lengths.Min()}");
        Assert.True(lengths.Max() > 8000, $"longest {lengths.Max()}");
        Assert.True(lengths.Count(l => l > 2000) >= 30);
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
}
