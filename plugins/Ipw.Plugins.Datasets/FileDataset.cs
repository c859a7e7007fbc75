using System.Globalization;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets;

/// <summary>
/// What every file loader shares: the mapping settings (<see cref="RowMapper"/>), a check of the whole file before
/// any request (one streaming pass: a bad row fails the run before it starts, naming the file and the line or row),
/// and the seeded selection settings <c>shuffle=true</c>, <c>sample=N</c> and <c>seed=S</c>.
/// Without shuffling, items are read lazily from the file each time. With shuffling, a second pass writes only the
/// chosen rows, already mapped, to an unlinked temporary file, and items are read back from it in the shuffled order:
/// memory holds two integers per row of the file, never the rows.
/// </summary>
internal abstract class FileDataset : IDataset
{
    private static readonly string[] SelectionSettings = ["shuffle", "sample", "seed"];

    private readonly bool _shuffle;
    private readonly int? _sample;
    private readonly int _seed;
    private int _rows;
    private Spill? _spill;

    protected FileDataset(DatasetOptions options, string format, IReadOnlyCollection<string> ownSettings, RowDefaults defaults)
    {
        var s = options.Settings;
        var known = RowMapper.Settings.Concat(SelectionSettings).Concat(ownSettings).ToArray();
        foreach (var key in s.Keys)
            if (!known.Contains(key, StringComparer.Ordinal))
                throw new PluginConfigurationException($"{format}: unknown setting '{key}' (known: {string.Join(", ", known)})");
        string? Get(string key) => s.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
        _shuffle = Get("shuffle") is { } sh && (bool.TryParse(sh, out var b) ? b : throw new PluginConfigurationException($"shuffle must be true or false, got '{sh}'"));
        if (Get("sample") is { } sm)
            _sample = int.TryParse(sm, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
                : throw new PluginConfigurationException($"sample must be a whole number of at least 1, got '{sm}'");
        if (Get("seed") is { } sd)
            _seed = int.TryParse(sd, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
                : throw new PluginConfigurationException($"seed must be a whole number, got '{sd}'");
        Mapper = new RowMapper(s, defaults);
    }

    /// <summary>Maps the loader's rows.</summary>
    protected RowMapper Mapper { get; }

    /// <summary>What the file is called in messages.</summary>
    protected abstract string Source { get; }

    public abstract string Identity { get; }

    public int? Count => Math.Min(_rows, _sample ?? int.MaxValue);

    /// <summary>Every row of the file, mapped, in file order. Errors name the file and the line or row.</summary>
    protected abstract IEnumerable<WorkloadItem> Read(CancellationToken cancellationToken);

    /// <summary>Checks the whole file and prepares the selection; loaders call it at the end of their constructor.</summary>
    protected void Check()
    {
        foreach (var _ in Read(CancellationToken.None)) _rows++;
        if (_rows == 0) throw new PluginConfigurationException($"{Source}: no rows");
        if (_shuffle) _spill = Spill.Write(Read(CancellationToken.None), _rows, Count!.Value, _seed);
    }

    public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken = default) =>
        _spill is not null ? _spill.Items(cancellationToken) : Read(cancellationToken).Take(Count!.Value);

    /// <summary>The chosen rows of a shuffle, mapped and serialised in a temporary file that is unlinked at once.</summary>
    private sealed class Spill
    {
        private readonly FileStream _file;
        private readonly long[] _offsets;
        private readonly int[] _lengths;

        private Spill(FileStream file, long[] offsets, int[] lengths) => (_file, _offsets, _lengths) = (file, offsets, lengths);

        public static Spill Write(IEnumerable<WorkloadItem> items, int rows, int take, int seed)
        {
            var order = new int[rows];
            for (var i = 0; i < rows; i++) order[i] = i;
            new Random(seed).Shuffle(order);
            var slotOf = new int[rows];
            Array.Fill(slotOf, -1);
            for (var k = 0; k < take; k++) slotOf[order[k]] = k;
            order = null;

            var path = Path.Combine(Path.GetTempPath(), $"ipw-shuffle-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
            var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            File.Delete(path); // the open handle keeps the data; nothing is left behind however the process ends
            var offsets = new long[take];
            var lengths = new int[take];
            using var writer = new Utf8JsonWriter(file);
            var index = 0;
            foreach (var item in items)
            {
                var slot = slotOf[index++];
                if (slot < 0) continue;
                writer.Flush();
                offsets[slot] = file.Position;
                WriteItem(writer, item);
                writer.Flush();
                lengths[slot] = checked((int)(file.Position - offsets[slot]));
                writer.Reset();
            }
            file.Flush();
            return new Spill(file, offsets, lengths);
        }

        public IEnumerable<WorkloadItem> Items(CancellationToken cancellationToken)
        {
            var buffer = new byte[4096];
            for (var k = 0; k < _offsets.Length; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_lengths[k] > buffer.Length) buffer = new byte[Math.Max(_lengths[k], buffer.Length * 2)];
                RandomAccess.Read(_file.SafeFileHandle, buffer.AsSpan(0, _lengths[k]), _offsets[k]);
                yield return ReadItem(buffer.AsMemory(0, _lengths[k]));
            }
        }

        private static void WriteItem(Utf8JsonWriter w, WorkloadItem item)
        {
            w.WriteStartObject();
            w.WriteString("id", item.Id);
            w.WriteString("reference", item.Reference);
            w.WriteString("grader", item.Grader);
            w.WriteString("subject", item.Subject);
            if (item.MaxTokens is { } max) w.WriteNumber("max_tokens", max);
            w.WriteStartArray("messages");
            foreach (var m in item.Messages)
            {
                w.WriteStartArray();
                w.WriteStringValue(m.Role);
                w.WriteStringValue(m.Content);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartObject("metadata");
            foreach (var (key, value) in item.Metadata) w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        private static WorkloadItem ReadItem(ReadOnlyMemory<byte> bytes)
        {
            using var doc = JsonDocument.Parse(bytes);
            var r = doc.RootElement;
            var messages = r.GetProperty("messages").EnumerateArray()
                .Select(m => new ChatMessage(m[0].GetString()!, m[1].GetString()!)).ToList();
            var metadata = r.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            return new WorkloadItem(r.GetProperty("id").GetString()!, messages, r.GetProperty("reference").GetString(),
                r.GetProperty("grader").GetString(), r.GetProperty("subject").GetString(), metadata)
            {
                MaxTokens = r.TryGetProperty("max_tokens", out var max) ? max.GetInt32() : null,
            };
        }
    }
}
