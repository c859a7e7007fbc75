using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>Builds a JSON request body with <see cref="Utf8JsonWriter"/>: one buffer, no reflection.</summary>
internal static class JsonBody
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static HttpContent Create(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = Json;
        return content;
    }

    /// <summary>Writes <c>"messages": [{"role", "content"}, ...]</c>, the shape both Ollama and the OpenAI API take.</summary>
    public static void WriteMessages(Utf8JsonWriter w, IReadOnlyList<ChatMessage> messages)
    {
        w.WriteStartArray("messages");
        foreach (var m in messages)
        {
            w.WriteStartObject();
            w.WriteString("role", m.Role);
            w.WriteString("content", m.Content);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
