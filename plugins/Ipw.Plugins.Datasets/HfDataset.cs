using System.Collections;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Ipw.Abstractions;
using Parquet;
using Parquet.Serialization;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// A local Hugging Face dataset: a <c>save_to_disk</c> folder (<c>state.json</c> naming its Arrow stream files, or a
/// <c>dataset_dict.json</c> folder of splits, chosen with <c>split=</c>), a single <c>.arrow</c> file, or Parquet files
/// (one file, or a folder of them, as the Hub lays them out) read through Parquet.Net. Columns map as in every
/// loader (the reference tool's problem/answer/subject layout works without settings); nested records become
/// dotted metadata ("metadata.level"). Arrow files are read one record batch at a time and Parquet files one row
/// group at a time, so memory holds one batch, never the dataset. Errors name the file and the row index
/// (0-based, as <c>dataset[i]</c> counts).
/// </summary>
internal sealed class HfDataset : FileDataset
{
    private readonly string _path;
    private readonly string[] _files;
    private readonly bool _parquet;

    public HfDataset(DatasetOptions options) : base(options, "hf", ["split"], RowDefaults.Plain)
    {
        _path = options.Path ?? throw new PluginConfigurationException("hf needs --dataset-path FOLDER (a save_to_disk folder), FILE.arrow or FILE.parquet");
        var split = options.Settings.TryGetValue("split", out var sp) && sp.Length > 0 ? sp : null;
        (_files, _parquet) = Locate(_path, split);
        Check();
    }

    public override string Identity => $"hf:{Path.GetFileName(Path.TrimEndingDirectorySeparator(_path))}";

    protected override string Source => _path;

    protected override IEnumerable<WorkloadItem> Read(CancellationToken cancellationToken)
    {
        long index = 0;
        foreach (var file in _files)
        {
            var rows = _parquet ? ParquetRows(file, cancellationToken) : ArrowRows(file, cancellationToken);
            foreach (var row in rows)
            {
                var where = $"{file} index {index}";
                yield return Mapper.Map(row, where, $"index-{index}");
                index++;
            }
        }
    }

    /// <summary>The data files of a path, in dataset order, and whether they are Parquet.</summary>
    private static (string[] Files, bool Parquet) Locate(string path, string? split)
    {
        if (File.Exists(path))
        {
            if (split is not null) throw new PluginConfigurationException("split= applies to a folder, not to one file");
            if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)) return ([path], true);
            if (path.EndsWith(".arrow", StringComparison.OrdinalIgnoreCase)) return ([path], false);
            throw new PluginConfigurationException($"{path}: hf reads .arrow and .parquet files, or a save_to_disk folder");
        }
        if (!Directory.Exists(path)) throw new PluginConfigurationException($"{path}: no such file or folder");

        var dict = Path.Combine(path, "dataset_dict.json");
        if (File.Exists(dict))
        {
            var splits = ReadJson(dict, root => root.GetProperty("splits").EnumerateArray().Select(e => e.GetString()!).ToArray());
            var chosen = split ?? (splits.Length == 1 ? splits[0]
                : throw new PluginConfigurationException($"{path} holds the splits {string.Join(", ", splits)}: choose one with --dataset-param split=NAME"));
            if (!splits.Contains(chosen)) throw new PluginConfigurationException($"{path}: no split '{chosen}' (splits: {string.Join(", ", splits)})");
            return Locate(Path.Combine(path, chosen), null);
        }

        var state = Path.Combine(path, "state.json");
        if (File.Exists(state))
        {
            if (split is not null) throw new PluginConfigurationException($"{path} is a single split; drop split=");
            var files = ReadJson(state, root => root.GetProperty("_data_files").EnumerateArray()
                .Select(e => Path.Combine(path, e.GetProperty("filename").GetString()!)).ToArray());
            foreach (var f in files)
                if (!File.Exists(f)) throw new PluginConfigurationException($"{state} names {Path.GetFileName(f)}, which is missing");
            return files.Length > 0 ? (files, false) : throw new PluginConfigurationException($"{state}: no data files");
        }

        var parquet = Directory.EnumerateFiles(path, "*.parquet", SearchOption.AllDirectories)
            .Where(f => split is null || Path.GetRelativePath(path, f).Split(Path.DirectorySeparatorChar).Any(part => part == split || part.StartsWith(split + "-", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal).ToArray();
        if (parquet.Length > 0) return (parquet, true);
        throw new PluginConfigurationException(split is null
            ? $"{path}: not a Hugging Face dataset folder (no state.json, dataset_dict.json or .parquet files)"
            : $"{path}: no Parquet files for split '{split}'");
    }

    private static T ReadJson<T>(string file, Func<JsonElement, T> read)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            return read(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new PluginConfigurationException($"{file}: not a valid datasets file ({e.Message.Split(" Path:")[0]})");
        }
    }

    // ------------------------------------------------------------------ Arrow

    private static IEnumerable<IRowFields> ArrowRows(string file, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var magic = new byte[6];
        var isFile = stream.Read(magic) == 6 && magic.AsSpan().SequenceEqual("ARROW1"u8);
        stream.Position = 0;
        using var reader = isFile ? new ArrowFileReader(stream, leaveOpen: true) : new ArrowStreamReader(stream, leaveOpen: true);
        Dictionary<string, int>? index = null;
        string[]? names = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RecordBatch? batch;
            try
            {
                batch = reader.ReadNextRecordBatch();
                if (batch is not null) Ipw.Shared.ArrowBounds.Check(batch);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new PluginConfigurationException($"{file}: not a readable Arrow file ({e.Message})");
            }
            if (batch is null) yield break;
            using (batch)
            {
                if (names is null)
                {
                    names = batch.Schema.FieldsList.Select(f => f.Name).ToArray();
                    index = names.Select((n, i) => (n, i)).GroupBy(p => p.n).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
                }
                for (var row = 0; row < batch.Length; row++) yield return new ArrowRow(file, batch, row, names, index!);
            }
        }
    }

    private readonly struct ArrowRow(string file, RecordBatch batch, int row, string[] names, Dictionary<string, int> index) : IRowFields
    {
        public IEnumerable<string> Names => names;

        public bool TryGet(string name, out object? value)
        {
            if (!index.TryGetValue(name, out var i)) { value = null; return false; }
            try
            {
                value = Value(batch.Column(i), row);
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException or InvalidDataException)
            {
                // Arrow's reader takes a batch's buffers on trust: offsets or lengths that point outside them show here.
                throw new PluginConfigurationException($"{file}: not a readable Arrow file (column '{name}', row {row + 1} of its batch: {e.Message})");
            }
            return true;
        }
    }

    /// <summary>One cell of an Arrow array as a plain value (text, number, bool, list or record).</summary>
    internal static object? Value(IArrowArray array, int i)
    {
        if (array.IsNull(i)) return null;
        return array switch
        {
            StringArray s => s.GetString(i),
            LargeStringArray s => s.GetString(i),
            StringViewArray s => s.GetString(i),
            BooleanArray b => b.GetValue(i),
            Int8Array a => (long?)a.GetValue(i),
            Int16Array a => (long?)a.GetValue(i),
            Int32Array a => (long?)a.GetValue(i),
            Int64Array a => a.GetValue(i),
            UInt8Array a => (long?)a.GetValue(i),
            UInt16Array a => (long?)a.GetValue(i),
            UInt32Array a => (long?)a.GetValue(i),
            UInt64Array a => a.GetValue(i),
            FloatArray a => (double?)a.GetValue(i),
            DoubleArray a => a.GetValue(i),
            StructArray s => ((StructType)s.Data.DataType).Fields
                .Select((f, k) => (f.Name, Value: Value(s.Fields[k], i)))
                .ToDictionary(p => p.Name, p => p.Value),
            ListArray l => Items(l.GetSlicedValues(i)),
            LargeListArray l => Items(l.GetSlicedValues(i)),
            _ => array.Data.DataType.Name,
        };
    }

    private static List<object?> Items(IArrowArray values)
    {
        var list = new List<object?>(values.Length);
        for (var k = 0; k < values.Length; k++) list.Add(Value(values, k));
        return list;
    }

    // ------------------------------------------------------------------ Parquet

    /// <summary>How long a Parquet footer may take to read.</summary>
    internal static TimeSpan FooterTimeout { get; set; } = TimeSpan.FromSeconds(10);

    private static IEnumerable<IRowFields> ParquetRows(string file, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int groups;
        try
        {
            // Parquet.Net 6.1 loops forever on some corrupt footers (its Thrift reader takes the end of the data for a byte with
            // the continuation bit set; found by fuzzing): a footer is read in milliseconds, so one not read in this long is
            // refused rather than waited for. Read on a pool thread, since a file stream's read can finish synchronously and
            // the loop would then hold this one; a runaway read ends with the process, which refuses the dataset.
            var open = Task.Run(() => ParquetReader.CreateAsync(stream, leaveStreamOpen: true, cancellationToken: cancellationToken), cancellationToken);
            if (!open.Wait(FooterTimeout, cancellationToken))
                throw new InvalidDataException($"its footer was not read in {FooterTimeout.TotalSeconds:F0} s: the metadata is corrupt");
            var reader = open.GetAwaiter().GetResult();
            groups = reader.RowGroupCount;
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new PluginConfigurationException($"{file}: not a readable Parquet file ({e.Message})");
        }
        ParquetOptions.PreferUntypedString = true; // a process-wide switch in Parquet.Net; this plugin is its only user
        var options = new ParquetOptions();
        for (var g = 0; g < groups; g++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IList<Dictionary<string, object>> rows;
            try
            {
                stream.Position = 0;
                rows = ParquetSerializer.DeserializeUntypedAsync(stream, options, g, cancellationToken).GetAwaiter().GetResult().Data;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new PluginConfigurationException($"{file}: row group {g} is not readable ({e.Message})");
            }
            foreach (var row in rows) yield return new ParquetRow(row);
        }
    }

    private readonly struct ParquetRow(Dictionary<string, object> row) : IRowFields
    {
        public IEnumerable<string> Names => row.Keys;

        public bool TryGet(string name, out object? value)
        {
            if (!row.TryGetValue(name, out var raw)) { value = null; return false; }
            value = Plain(raw);
            return true;
        }

        private static object? Plain(object? raw) => raw switch
        {
            null or string => raw,
            IDictionary<string, object?> d => d.ToDictionary(p => p.Key, p => Plain(p.Value)),
            IDictionary d => d.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => Plain(d[k])),
            ReadOnlyMemory<char> m => m.ToString(),
            IEnumerable e => e.Cast<object?>().Select(Plain).ToList(),
            _ => raw,
        };
    }
}
