using System.Text;
using System.Text.Json;
using static Ipw.Plugins.Datasets.Workload.Shared;

namespace Ipw.Plugins.Datasets.Workload;

/// <summary>
/// The literal data of one part of the built-in workload, read from an embedded JSON Lines file,
/// <c>Workload/&lt;name&gt;.jsonl</c>. Each line is one row of one table and names its table:
/// <c>{"table":"capitals","row":{"country":"France","capital":"Paris"}}</c>, or, for a list of words,
/// <c>{"table":"towns","row":"Marrowby"}</c>. A table's rows keep their order in the file, and the seeded draws
/// pick rows by position, so editing, adding, removing or reordering a row changes the generated items
/// (bump <see cref="IpwWorkload.Version"/>).
/// </summary>
internal sealed class WorkloadData
{
    private readonly string _file;
    private readonly Dictionary<string, List<Row>> _tables;

    private WorkloadData(string file, Dictionary<string, List<Row>> tables)
    {
        _file = file;
        _tables = tables;
    }

    /// <summary>Reads <c>Workload/<paramref name="name"/>.jsonl</c> from this assembly's resources.</summary>
    public static WorkloadData Load(string name)
    {
        string file = $"Workload/{name}.jsonl";
        string resource = $"Ipw.Plugins.Datasets.Workload.{name}.jsonl";
        using var stream = typeof(WorkloadData).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The ipw workload data {file} is not embedded in the plugin (resource {resource}).");
        using var reader = new StreamReader(stream, Encoding.UTF8);

        var tables = new Dictionary<string, List<Row>>(StringComparer.Ordinal);
        int number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string where = $"{file} line {number}";
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("table", out var table) || table.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("row", out var row))
                {
                    throw new InvalidOperationException($"{where}: expected {{\"table\": \"<name>\", \"row\": <value>}}.");
                }

                string key = table.GetString()!;
                if (!tables.TryGetValue(key, out var rows))
                {
                    tables[key] = rows = [];
                }

                rows.Add(new Row(row.Clone(), where)); // a clone outlives the document
            }
            catch (JsonException e)
            {
                throw new InvalidOperationException($"{where}: not valid JSON ({e.Message}).", e);
            }
        }

        return new WorkloadData(file, tables);
    }

    /// <summary>A table whose rows are plain strings.</summary>
    public string[] Strings(string table) => Rows(table, r => r.String());

    /// <summary>A table's rows, in file order, each converted by <paramref name="read"/>.</summary>
    public T[] Rows<T>(string table, Func<Row, T> read) =>
        _tables.TryGetValue(table, out var rows)
            ? [.. rows.Select(read)]
            : throw new InvalidOperationException($"The ipw workload data {_file} has no table '{table}'.");

    /// <summary>One row of a table, with readers that name the file and line when the row has the wrong shape.</summary>
    internal readonly struct Row(JsonElement value, string where)
    {
        /// <summary>The row itself as a string.</summary>
        public string String() => value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Wrong("the row to be a string");

        /// <summary>A required string field.</summary>
        public string String(string field) => Field(field) is { ValueKind: JsonValueKind.String } f
            ? f.GetString()!
            : throw Wrong($"field '{field}' to be a string");

        /// <summary>A string field that may be missing or null.</summary>
        public string? OptionalString(string field) =>
            value.ValueKind == JsonValueKind.Object && (!value.TryGetProperty(field, out var f) || f.ValueKind == JsonValueKind.Null)
                ? null
                : String(field);

        /// <summary>A required integer field.</summary>
        public int Int(string field) => Field(field) is { ValueKind: JsonValueKind.Number } f && f.TryGetInt32(out int n)
            ? n
            : throw Wrong($"field '{field}' to be an integer");

        /// <summary>A required field holding an array of exactly <paramref name="count"/> strings.</summary>
        public string[] Strings(string field, int count) =>
            Field(field) is { ValueKind: JsonValueKind.Array } f && f.GetArrayLength() == count
                && f.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
                ? [.. f.EnumerateArray().Select(e => e.GetString()!)]
                : throw Wrong(F($"field '{field}' to be an array of {count} strings"));

        private JsonElement Field(string field) =>
            value.ValueKind == JsonValueKind.Object && value.TryGetProperty(field, out var f)
                ? f
                : throw Wrong($"the row to be an object with the field '{field}'");

        private InvalidOperationException Wrong(string expected) =>
            new($"{where}: expected {expected}, found {value.GetRawText()}.");
    }
}
