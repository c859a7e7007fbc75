using System.Text.Json;

namespace Ipw.Plugins.Http;

/// <summary>
/// One entry of a <c>tool_calls</c> array, as the OpenAI API streams it (a delta: <c>index</c>, <c>id</c> and the
/// function's <c>name</c> once, its <c>arguments</c> as pieces of JSON text) and as Ollama sends it (a whole call: <c>id</c>
/// where the version has ids, <c>function.index</c> where it numbers them, the arguments as a JSON object, kept as its JSON
/// text). Read once here for both parsers and handed to <see cref="StreamState.AddToolCallDelta"/>.
/// </summary>
internal static class ToolCallEntry
{
    /// <summary>Reads the entry the reader is at (its start) and hands it to <paramref name="state"/> under its index, or
    /// <paramref name="index"/> when it names none. Returns the bytes of generated text it carried (name and arguments).</summary>
    /// <param name="source">The bytes the reader reads, to keep an object's text as written.</param>
    public static int Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, long index, StreamState state)
    {
        string? id = null, name = null, arguments = null;
        var bytes = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                if (JsonNumber.Int64(ref reader) is { } i) index = i;
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String) id = reader.GetString();
            }
            else if (reader.ValueTextEquals("function"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("index"u8))
                    {
                        reader.Read();
                        if (JsonNumber.Int64(ref reader) is { } i) index = i;
                        continue;
                    }
                    var isName = reader.ValueTextEquals("name"u8);
                    var isArguments = reader.ValueTextEquals("arguments"u8);
                    reader.Read();
                    if (isArguments && reader.TokenType == JsonTokenType.StartObject)
                    {
                        var from = (int)reader.TokenStartIndex;
                        reader.Skip();
                        var text = source[from..(int)reader.BytesConsumed];
                        bytes += text.Length;
                        arguments = System.Text.Encoding.UTF8.GetString(text);
                        continue;
                    }
                    if (reader.TokenType != JsonTokenType.String) { reader.Skip(); continue; }
                    bytes += reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                    if (isName) name = reader.GetString();
                    else if (isArguments) arguments = reader.GetString();
                }
            }
            else { reader.Read(); reader.Skip(); }
        }
        if (index is >= 0 and < 1024) state.AddToolCallDelta((int)index, id, name, arguments);
        return bytes;
    }
}
