using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ipw.Core.Summary;

/// <summary>summary.json's one serializer (source-generated, snake_case keys, nulls written as null), for writing and
/// for every reader.</summary>
public static class SummaryFile
{
    private static readonly SummaryJsonContext Context = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>How a plain string is written (for values kept as text).</summary>
    internal static System.Text.Json.Serialization.Metadata.JsonTypeInfo<string> StringInfo => Context.String;

    /// <summary>How a number that may be missing is written (for values kept as JSON elements).</summary>
    internal static System.Text.Json.Serialization.Metadata.JsonTypeInfo<double?> NullableDoubleInfo => Context.NullableDouble;

    public static string Serialize(RunSummary summary) => JsonSerializer.Serialize(summary, Context.RunSummary);

    /// <summary>A serving section as summary.json writes it (for sweep.json's points).</summary>
    internal static System.Text.Json.Nodes.JsonNode? ToNode(ServingSection? serving) =>
        serving is null ? null : JsonSerializer.SerializeToNode(serving, Context.ServingSection);

    /// <exception cref="JsonException">Not a summary.json.</exception>
    public static RunSummary Deserialize(string json) =>
        JsonSerializer.Deserialize(json, Context.RunSummary) ?? throw new JsonException("summary.json is null");

    /// <summary>Reads a run's summary.json; a user error, naming the file, when it is not one.</summary>
    public static RunSummary Read(string path)
    {
        try
        {
            return Deserialize(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not a valid summary.json ({e.Message})");
        }
    }
}

[JsonSerializable(typeof(RunSummary))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(double?))]
internal sealed partial class SummaryJsonContext : JsonSerializerContext;
