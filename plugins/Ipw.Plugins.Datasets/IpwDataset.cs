using System.Globalization;
using Ipw.Abstractions;
using Ipw.Shared;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// The built-in mixed workload, generated deterministically in code. Settings:
/// <c>subjects=math,chat</c> keeps only those subjects; <c>shuffle=true</c> with <c>seed=S</c> puts them in a seeded
/// order (a fresh one each round); <c>sample=N</c> keeps the first N of a round; <c>repeat=N</c> yields the workload N
/// times (ids get a <c>#k</c> suffix), for soak tests and long runs.
/// </summary>
internal sealed class IpwDataset : IDataset
{
    private static readonly string[] Subjects = ["math", "knowledge", "logic", "extraction", "summarization", "chat"];
    private readonly HashSet<string>? _subjects;
    private readonly int _repeat = 1;
    private readonly bool _shuffle;
    private readonly int? _sample;
    private readonly int _seed;

    public IpwDataset(DatasetOptions options)
    {
        foreach (var (key, value) in options.Settings)
        {
            switch (key)
            {
                case "subjects": _subjects = SettingValues.Subjects(value, Subjects); break;
                case "repeat": _repeat = SettingValues.Count(key, value); break;
                case "shuffle": _shuffle = SettingValues.Flag(key, value); break;
                case "sample": _sample = SettingValues.Count(key, value); break;
                case "seed": _seed = SettingValues.Seed(value); break;
                default:
                    throw new PluginConfigurationException($"unknown setting '{key}' (known: subjects, shuffle, sample, seed, repeat)");
            }
        }
        if (options.Path is not null) throw new PluginConfigurationException("the built-in ipw dataset reads no file; drop --dataset-path");
    }

    public string Identity => $"ipw@{IpwWorkload.Version}";

    public int? Count => _subjects is null ? Math.Min(IpwWorkload.ItemCount, _sample ?? int.MaxValue) * _repeat : null;

    public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default)
    {
        for (var round = 0; round < _repeat; round++)
        {
            IEnumerable<WorkloadItem> items = IpwWorkload.Generate();
            if (_subjects is not null) items = items.Where(i => _subjects.Contains(i.Subject ?? ""));
            if (_shuffle)
            {
                var list = items.ToArray(); // 1,000 items at most
                new Random(unchecked(_seed + round)).Shuffle(list);
                items = list;
            }
            if (_sample is { } n) items = items.Take(n);
            foreach (var item in items)
            {
                cancellationToken.ThrowIfCancellationRequested();
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
            + "(settings: subjects=, shuffle=true, sample=N, seed=S, repeat=N)",
            options => new IpwDataset(options)));
        const string Mapping = "map with prompt=, messages=, turns=first|last|all, reference=, subject=, id=, grader=, grader_field=, system=; "
            + "select with shuffle=true, sample=N, seed=S";
        registry.AddDataset(new DatasetDescriptor(
            "jsonl", $"your JSON Lines file (--dataset-path F.jsonl), one object per line; {Mapping}",
            options => new JsonlDataset(options)));
        registry.AddDataset(new DatasetDescriptor(
            "csv", $"your CSV or TSV file with a header row (--dataset-path F.csv); delimiter= (detected by default); {Mapping}",
            options => new CsvDataset(options)));
        registry.AddDataset(new DatasetDescriptor(
            "sharegpt", "ShareGPT conversations (--dataset-path F.json, an array or JSON Lines); the first human turn is the query "
            + $"and the reply its reference; {Mapping}",
            options => new ShareGptDataset(options)));
        registry.AddDataset(new DatasetDescriptor(
            "hf", "a local Hugging Face dataset (--dataset-path): a save_to_disk folder (split= for a DatasetDict), an .arrow file, "
            + $"or Parquet files; {Mapping}",
            options => new HfDataset(options)));
        registry.AddDataset(new DatasetDescriptor(
            "synthetic", "prompts of drawn token lengths, exact under a tokenizer: count=N, input_tokens=, output_tokens= "
            + "(N, normal:MEAN,SD or uniform:LOW,HIGH), tokenizer=cl100k_base|o200k_base, seed=",
            options => new SyntheticDataset(options)));
    }
}
