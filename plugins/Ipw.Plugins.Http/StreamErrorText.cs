using System.Text.Json;

namespace Ipw.Plugins.Http;

/// <summary>The server's message out of the error shapes streams carry, so a failed query keeps what the server said.</summary>
internal static class StreamErrorText
{
    internal static string ErrorMessage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString()!;
        if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); return "(no message)"; }
        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8)) { reader.Read(); message = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
            else { reader.Read(); reader.Skip(); }
        }
        return message ?? "(no message)";
    }

    /// <summary>The message of an <c>event: error</c>: its <c>error</c> (string or object), else its <c>message</c> or
    /// <c>detail</c>, else the data as text.</summary>
    public static string ErrorEventMessage(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                string? found = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("error"u8))
                    {
                        reader.Read();
                        return ErrorMessage(ref reader);
                    }
                    var named = reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("detail"u8);
                    reader.Read();
                    if (named && reader.TokenType == JsonTokenType.String) found ??= reader.GetString();
                    else reader.Skip();
                }
                if (found is not null) return found;
            }
        }
        catch (JsonException)
        {
        }
        return data.IsEmpty ? "(no message)" : System.Text.Encoding.UTF8.GetString(data[..Math.Min(data.Length, 300)]);
    }
}
