using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Ipw.Abstractions;
using Ipw.Core.Runs;
using Ipw.Core.Summary;

namespace Ipw.Core.Analysis;

/// <summary>
/// A run folder opened for analysis. The data file is read once, in one streaming pass: every numeric and boolean
/// column becomes a <see cref="double"/> array (NaN where the value is missing: 8 bytes a value, so a million queries
/// take about 260 MB), and the low-cardinality text columns (subject, status, ...) are kept with their strings
/// shared. Other text columns are read on demand, one pass each. Batches are disposed as soon as they are copied, so
/// the prompts and responses never accumulate. Once open, a view may be read from several threads.
/// </summary>
public sealed class RunView : IRunView
{
    private static readonly HashSet<string> EagerTexts = ["subject", "status", "model", "client", "dataset", "grader"];
    private readonly string _data;
    private readonly Dictionary<string, double[]> _numbers = new(StringComparer.Ordinal);
    /// <summary>Numeric columns with no value in any row: nothing is held for them until one is asked for.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, double[]?> _missing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?[]> _texts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ArrowTypeId> _types = new(StringComparer.Ordinal);
    private IReadOnlyList<TelemetrySeries>? _telemetry;

    private RunView(string directory, string summaryJson, RunSummary summary)
    {
        Directory = directory;
        SummaryJson = summaryJson;
        Summary = summary;
        _data = Path.Combine(directory, RunStore.DataFileName);
        Label = MakeLabel(directory);
    }

    public string Directory { get; }

    public string Label { get; }

    public string SummaryJson { get; }

    /// <summary>summary.json, read.</summary>
    public RunSummary Summary { get; }

    public long RecordCount { get; private set; }

    public IReadOnlyList<string> Columns { get; private set; } = [];

    /// <summary>Opens a run folder and reads its records.</summary>
    /// <exception cref="UserError">Not a run folder, or a data file that cannot be read.</exception>
    public static RunView Open(string directory)
    {
        var (text, summary) = Check(directory);
        var view = new RunView(directory, text, summary);
        view.Load();
        return view;
    }

    /// <summary>Frees the loaded columns (a comparison keeps only each run's name and counts); reading a column
    /// afterwards is an error.</summary>
    public void Unload()
    {
        _numbers.Clear();
        _missing.Clear();
        lock (_texts) _texts.Clear();
        _telemetry = null;
    }

    /// <summary>Checks that a folder is a run (its files exist, its summary parses), without reading the records.</summary>
    /// <exception cref="UserError">It is not.</exception>
    public static (string Text, RunSummary Summary) Check(string directory)
    {
        var summaryPath = Path.Combine(directory, RunStore.SummaryFileName);
        if (!System.IO.Directory.Exists(directory)) throw new UserError($"'{directory}': no such folder");
        if (!File.Exists(Path.Combine(directory, RunStore.DataFileName)) || !File.Exists(summaryPath))
            throw new UserError($"'{directory}' is not a run folder (it needs {RunStore.DataFileName} and {RunStore.SummaryFileName})");
        var text = File.ReadAllText(summaryPath);
        try
        {
            return (text, SummaryFile.Deserialize(text));
        }
        catch (JsonException e)
        {
            throw new UserError($"{summaryPath}: not a valid summary.json ({e.Message})");
        }
    }

    public double[] Numbers(string column)
    {
        if (_numbers.TryGetValue(column, out var values)) return values;
        if (_missing.TryGetValue(column, out var none))
            return none ?? _missing.AddOrUpdate(column, _ => Missing(RecordCount), (_, made) => made ?? Missing(RecordCount))!;
        throw new ArgumentException(_types.ContainsKey(column) ? $"column '{column}' is not numeric" : $"no column '{column}' in {_data}", nameof(column));
    }

    public IReadOnlyList<string?> Texts(string column)
    {
        lock (_texts) return LoadTexts(column);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string?[] LoadTexts(string column)
    {
        if (_texts.TryGetValue(column, out var values)) return values;
        if (!_types.TryGetValue(column, out var type)) throw new ArgumentException($"no column '{column}' in {_data}", nameof(column));
        if (type is not (ArrowTypeId.String or ArrowTypeId.LargeString)) throw new ArgumentException($"column '{column}' is not text", nameof(column));
        var read = new string?[RecordCount];
        var row = 0;
        Pass(batch =>
        {
            var array = batch.Column(column);
            for (var i = 0; i < batch.Length; i++) read[row + i] = Text(array, i);
            row += batch.Length;
        });
        _texts[column] = read;
        return read;
    }

    public IReadOnlyList<double[]?> NumberLists(string column)
    {
        if (!_types.TryGetValue(column, out var type)) throw new ArgumentException($"no column '{column}' in {_data}", nameof(column));
        if (type != ArrowTypeId.List) throw new ArgumentException($"column '{column}' is not a list", nameof(column));
        var read = new double[]?[RecordCount];
        var row = 0;
        Pass(batch =>
        {
            if (batch.Column(column) is not ListArray lists || lists.Values is not DoubleArray values)
                throw new ArgumentException($"column '{column}' is not a list of numbers", nameof(column));
            for (var i = 0; i < batch.Length; i++)
            {
                if (lists.IsNull(i)) continue;
                var items = new double[lists.GetValueLength(i)];
                var first = lists.ValueOffsets[i];
                for (var k = 0; k < items.Length; k++) items[k] = values.GetValue(first + k) ?? double.NaN;
                read[row + i] = items;
            }
            row += batch.Length;
        });
        return read;
    }

    public IReadOnlyList<TelemetrySeries> Telemetry() => _telemetry ??= ReadTelemetry();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Load()
    {
        // Arrays are sized from summary.json's count when it has one (grown if the file holds more), so a large run is
        // copied once, not gathered in chunks and concatenated.
        var expected = Summary.Counts?.RecordsOnDisk ?? 0;
        var capacity = (int)Math.Clamp(expected, 1024, int.MaxValue);
        var columns = new List<string>();
        // A numeric column is held from its first value on: one missing in every row (a run without energy, a closed
        // loop's schedule, a service that reports no timings) costs nothing until an analysis asks for it.
        var numbers = new List<(int Index, string Name, double[]? Values)>();
        var texts = new List<(int Index, string Name, string?[] Values, SharedStrings Shared)>();
        long rows = 0;
        Pass(batch =>
        {
            if (columns.Count == 0)
            {
                for (var c = 0; c < batch.ColumnCount; c++)
                {
                    var field = batch.Schema.FieldsList[c];
                    columns.Add(field.Name);
                    _types[field.Name] = field.DataType.TypeId;
                    var array = batch.Column(c);
                    if (ColumnCopy.IsNumeric(array)) numbers.Add((c, field.Name, null));
                    else if (EagerTexts.Contains(field.Name) && array is StringArray) texts.Add((c, field.Name, new string?[capacity], new SharedStrings()));
                }
            }
            var at = (int)rows;
            if (at + batch.Length > capacity)
            {
                capacity = (int)Math.Min(int.MaxValue, Math.Max(2L * capacity, at + batch.Length));
                for (var k = 0; k < numbers.Count; k++)
                    if (numbers[k].Values is { } grown) numbers[k] = numbers[k] with { Values = Grow(grown, capacity) };
                for (var k = 0; k < texts.Count; k++) texts[k] = texts[k] with { Values = Grow(texts[k].Values, capacity) };
            }
            for (var k = 0; k < numbers.Count; k++)
            {
                var (index, _, values) = numbers[k];
                var array = batch.Column(index);
                if (values is null)
                {
                    if (array.NullCount >= array.Length) continue;
                    values = new double[capacity];
                    values.AsSpan(0, at).Fill(double.NaN);
                    numbers[k] = numbers[k] with { Values = values };
                }
                ColumnCopy.Numbers(array, values.AsSpan(at, batch.Length));
            }
            foreach (var (index, _, values, shared) in texts) shared.Copy((StringArray)batch.Column(index), values.AsSpan(at, batch.Length));
            rows += batch.Length;
        });
        RecordCount = rows;
        Columns = columns;
        foreach (var (_, name, values) in numbers)
        {
            if (values is null) _missing[name] = null;
            else _numbers[name] = values.Length == rows ? values : values[..(int)rows];
        }
        foreach (var (_, name, values, _) in texts) _texts[name] = values.Length == rows ? values : values[..(int)rows];
    }


    private static double[] Missing(long rows)
    {
        var values = new double[rows];
        values.AsSpan().Fill(double.NaN);
        return values;
    }

    private static T[] Grow<T>(T[] array, int capacity)
    {
        System.Array.Resize(ref array, capacity);
        return array;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? Text(IArrowArray array, int i) => array switch
    {
        StringArray s => s.GetString(i),
        LargeStringArray s => s.GetString(i),
        _ => null,
    };

    private void Pass(Action<RecordBatch> each)
    {
        try
        {
            using var stream = new FileStream(_data, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
            using var reader = new ArrowStreamReader(stream);
            foreach (var batch in RecordReader.Batches(reader, _data))
            {
                using (batch) each(batch);
            }
        }
        catch (Exception e) when (RecordReader.Unreadable(e))
        {
            throw new UserError($"{_data}: cannot read the records ({RecordReader.Why(e)})");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private IReadOnlyList<TelemetrySeries> ReadTelemetry()
    {
        var path = Path.Combine(Directory, RunStore.TelemetryFileName);
        if (!File.Exists(path)) return [];
        var series = new Dictionary<string, (string Unit, List<double> T, List<double> V)>(StringComparer.Ordinal);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            using var reader = new ArrowStreamReader(stream);
            foreach (var batch in RecordReader.Batches(reader, path, "telemetry"))
            {
                using (batch)
                {
                    var t = (DoubleArray)batch.Column("t_s");
                    var metric = (StringArray)batch.Column("metric");
                    var unit = (StringArray)batch.Column("unit");
                    var value = (DoubleArray)batch.Column("value");
                    for (var i = 0; i < batch.Length; i++)
                    {
                        if (t.GetValue(i) is not { } ts || value.GetValue(i) is not { } v || metric.GetString(i) is not { } m) continue;
                        if (!series.TryGetValue(m, out var s)) series[m] = s = (unit.GetString(i) ?? "", [], []);
                        s.T.Add(ts);
                        s.V.Add(v);
                    }
                }
            }
        }
        catch (Exception e) when (RecordReader.Unreadable(e))
        {
            throw new UserError($"{path}: cannot read the telemetry ({RecordReader.Why(e)})");
        }
        return series.Select(p => new TelemetrySeries(p.Key, p.Value.Unit, [.. p.Value.T], [.. p.Value.V])).ToList();
    }

    private static string MakeLabel(string directory)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        return name.StartsWith("profile_", StringComparison.Ordinal) ? name["profile_".Length..] : name;
    }
}
