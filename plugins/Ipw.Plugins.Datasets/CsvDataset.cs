using Ipw.Abstractions;
using Sylvan.Data.Csv;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// A user's CSV (or TSV) file with a header row, read by Sylvan.Data.Csv: quoted fields may hold commas and
/// newlines. Settings: the shared mapping and selection (<see cref="FileDataset"/>) plus <c>delimiter=</c> (one
/// character, or "tab"; detected by default). An empty cell is a missing value. A conversation can be a cell of
/// JSON (<c>messages=FIELD</c>). Errors name the file and the data row (1 is the first row after the header).
/// </summary>
internal sealed class CsvDataset : FileDataset
{
    private readonly string _path;
    private readonly char? _delimiter;

    public CsvDataset(DatasetOptions options) : base(options, "csv", ["delimiter"], RowDefaults.Plain)
    {
        _path = options.Path ?? throw new PluginConfigurationException("csv needs --dataset-path FILE.csv");
        if (!File.Exists(_path)) throw new PluginConfigurationException($"{_path}: no such file");
        if (options.Settings.TryGetValue("delimiter", out var d))
        {
            _delimiter = d switch
            {
                "tab" or "\\t" or "\t" => '\t',
                { Length: 1 } => d[0],
                _ => throw new PluginConfigurationException($"delimiter must be one character or 'tab', got '{d}'"),
            };
        }
        Check();
    }

    public override string Identity => $"csv:{Path.GetFileName(_path)}";

    protected override string Source => _path;

    protected override IEnumerable<WorkloadItem> Read(CancellationToken cancellationToken)
    {
        var options = new CsvDataReaderOptions
        {
            HasHeaders = true,
            Comment = '\0', // no comment lines: a prompt may start with "#"
            HeaderComparer = StringComparer.Ordinal,
            MaxBufferSize = 1 << 26, // a record must fit in the buffer: allow prompts of tens of megabytes
        };
        if (_delimiter is { } delimiter) options.Delimiter = delimiter;
        using var reader = Open(options);
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var index = names.Select((n, i) => (n, i)).GroupBy(p => p.n).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        var row = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var where = $"{_path} row {row + 1}";
            try
            {
                if (!reader.Read()) yield break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new PluginConfigurationException($"{where}: malformed CSV ({e.Message})");
            }
            row++;
            if (reader.RowFieldCount != names.Length)
                throw new PluginConfigurationException($"{where}: {reader.RowFieldCount} fields, the header has {names.Length}");
            yield return Mapper.Map(new CsvRow(reader, names, index), where, $"row-{row}");
        }
    }

    private CsvDataReader Open(CsvDataReaderOptions options)
    {
        try
        {
            return CsvDataReader.Create(_path, options);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new PluginConfigurationException($"{_path}: cannot read the CSV header ({e.Message})");
        }
    }

    private readonly struct CsvRow(CsvDataReader reader, string[] names, Dictionary<string, int> index) : IRowFields
    {
        public IEnumerable<string> Names => names;

        public bool TryGet(string name, out object? value)
        {
            if (!index.TryGetValue(name, out var i)) { value = null; return false; }
            var text = reader.GetString(i);
            value = text.Length == 0 ? null : text;
            return true;
        }
    }
}
