using System.Globalization;
using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// The built-in mixed workload, generated deterministically in code. Settings:
/// <c>subjects=math,chat</c> keeps only those subjects; <c>repeat=N</c> yields the workload N times
/// (ids get a <c>#k</c> suffix), for soak tests and long runs.
/// </summary>
internal sealed class IpwDataset : IDataset
{
    private static readonly string[] Subjects = ["math", "knowledge", "logic", "extraction", "summarization", "chat"];
    private readonly HashSet<string>? _subjects;
    private readonly int _repeat = 1;

    public IpwDataset(DatasetOptions options)
    {
        foreach (var (key, value) in options.Settings)
        {
            switch (key)
            {
                case "subjects":
                    _subjects = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
                    var unknown = _subjects.Where(s => !Subjects.Contains(s, StringComparer.OrdinalIgnoreCase)).ToList();
                    if (unknown.Count > 0 || _subjects.Count == 0)
                        throw new PluginConfigurationException($"subjects: unknown '{string.Join(", ", unknown)}' (known: {string.Join(", ", Subjects)})");
                    break;
                case "repeat":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _repeat) || _repeat < 1)
                        throw new PluginConfigurationException($"repeat must be a whole number of at least 1, got '{value}'");
                    break;
                default:
                    throw new PluginConfigurationException($"unknown setting '{key}' (known: subjects, repeat)");
            }
        }
        if (options.Path is not null) throw new PluginConfigurationException("the built-in ipw dataset reads no file; drop --dataset-path");
    }

    public string Identity => $"ipw@{IpwWorkload.Version}";

    public int? Count => _subjects is null ? IpwWorkload.ItemCount * _repeat : null;

    public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default)
    {
        for (var round = 0; round < _repeat; round++)
        {
            foreach (var item in IpwWorkload.Generate())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_subjects is not null && !_subjects.Contains(item.Subject ?? "")) continue;
                yield return round == 0 ? item : item with { Id = $"{item.Id}#{round}" };
            }
        }
    }
}

/// <summary>Registers the built-in datasets.</summary>
public sealed class DatasetsPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddDataset(new DatasetDescriptor(
            "ipw",
            $"built-in mixed workload v{IpwWorkload.Version}: {IpwWorkload.ItemCount} items of math, knowledge, logic, extraction, summarization and chat "
            + "(settings: subjects=, repeat=)",
            options => new IpwDataset(options)));
        registry.AddDataset(new DatasetDescriptor(
            "jsonl",
            "your JSON Lines file (--dataset-path F.jsonl), one object per line; settings: prompt=, messages=, reference=, subject=, id=, "
            + "grader=, grader_field=, system=, shuffle=, sample=, seed=",
            options => new JsonlDataset(options)));
    }
}
