using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ipw.Core.Summary;

/// <summary>A request rate in summary.json: a number, or "inf" for every request at once (as vLLM records
/// <c>--request-rate inf</c>); JSON has no infinity.</summary>
public sealed class RateJsonConverter : JsonConverter<double?>
{
    public const string Infinite = "inf";

    public override bool HandleNull => true;

    public override double? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String when string.Equals(reader.GetString(), Infinite, StringComparison.OrdinalIgnoreCase) => double.PositiveInfinity,
        JsonTokenType.Number => reader.GetDouble(),
        _ => throw new JsonException($"a rate is a number or \"{Infinite}\""),
    };

    public override void Write(Utf8JsonWriter writer, double? value, JsonSerializerOptions options)
    {
        if (value is not { } v) writer.WriteNullValue();
        else if (double.IsPositiveInfinity(v)) writer.WriteStringValue(Infinite);
        else writer.WriteNumberValue(v);
    }
}
