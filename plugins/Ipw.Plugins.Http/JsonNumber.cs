using System.Text.Json;

namespace Ipw.Plugins.Http;

/// <summary>Reads a value a server should send as an integer: anything else (a string, an object, a fraction too large)
/// is skipped whole and reads as missing, never as an exception or a 0.</summary>
internal static class JsonNumber
{
    /// <summary>The integer at the reader's current value, or null (the value skipped).</summary>
    public static long? Int64(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v)) return v;
        reader.Skip();
        return null;
    }
}
