using System.Globalization;
using Ipw.Abstractions;
using Ipw.Shared;

namespace Ipw.Plugins.Agents;

/// <summary>
/// The <c>ipw-agentic</c> dataset: the tasks of <see cref="AgenticWorkload"/>, each graded offline (numeric within the
/// tolerance its prompt's rounding allows, or exact). Settings: <c>subjects=finance,physics</c>, <c>sample=N</c>,
/// <c>shuffle=true</c> with <c>seed=S</c>. Each item's metadata names the tools its reference solution uses and how many
/// calls it takes.
/// </summary>
internal sealed class AgenticDataset : IDataset
{
    public static readonly string[] Subjects = ["finance", "geography", "inventory", "physics", "logistics"];
    private readonly HashSet<string>? _subjects;
    private readonly int? _sample;
    private readonly bool _shuffle;
    private readonly int _seed;

    public AgenticDataset(DatasetOptions options)
    {
        if (options.Path is not null) throw new PluginConfigurationException("ipw-agentic is bundled and reads no file; drop --dataset-path");
        foreach (var (key, value) in options.Settings)
        {
            switch (key)
            {
                case "subjects": _subjects = SettingValues.Subjects(value, Subjects); break;
                case "sample": _sample = SettingValues.Count(key, value); break;
                case "shuffle": _shuffle = SettingValues.Flag(key, value); break;
                case "seed": _seed = SettingValues.Seed(value); break;
                default:
                    throw new PluginConfigurationException($"unknown setting '{key}' (known: subjects, sample, shuffle, seed)");
            }
        }
    }

    public string Identity => $"ipw-agentic@{AgenticWorkload.Version}";

    public int? Count => Selected().Count();

    public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default)
    {
        foreach (var task in Selected())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new WorkloadItem(task.Id, [new ChatMessage("user", task.Prompt)], task.Answer, AgenticWorkload.GraderSpec(task), task.Subject,
                new Dictionary<string, string>
                {
                    ["reference_tool_calls"] = task.Plan.Count.ToString(CultureInfo.InvariantCulture),
                    ["reference_tools"] = string.Join(",", task.Plan.Select(p => p.Tool).Distinct()),
                });
        }
    }

    private IEnumerable<AgenticTask> Selected()
    {
        IEnumerable<AgenticTask> tasks = AgenticWorkload.Tasks;
        if (_subjects is not null) tasks = tasks.Where(t => _subjects.Contains(t.Subject));
        if (_shuffle)
        {
            var list = tasks.ToArray();
            new Random(_seed).Shuffle(list);
            tasks = list;
        }
        return _sample is { } n ? tasks.Take(n) : tasks;
    }
}
