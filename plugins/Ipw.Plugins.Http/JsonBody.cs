using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>Builds a JSON request body with <see cref="Utf8JsonWriter"/>: one buffer, no reflection.</summary>
internal static class JsonBody
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    // A writer and its buffer per thread, reused: a request allocates only its body, at its exact size.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static HttpContent Create(Action<Utf8JsonWriter> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        // Reset here, not after: a body whose writing threw leaves the writer mid-object for the next one to clear.
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        write(writer);
        writer.Flush();
        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = Json;
        // A very long prompt leaves the buffer large: let it go rather than hold it for the thread's life.
        if (buffer.Capacity > 1 << 20) (t_buffer, t_writer) = (null, null);
        return content;
    }

    /// <summary>Writes <c>"messages": [{"role", "content"}, ...]</c>, the shape both Ollama and the OpenAI API take, with an
    /// assistant message's <c>tool_calls</c> and a tool message's <c>tool_call_id</c> in the OpenAI shape.</summary>
    public static void WriteMessages(Utf8JsonWriter w, IReadOnlyList<ChatMessage> messages)
    {
        w.WriteStartArray("messages");
        foreach (var m in messages)
        {
            w.WriteStartObject();
            w.WriteString("role", m.Role);
            if (m.ToolCalls is { Count: > 0 } && m.Content.Length == 0) w.WriteNull("content");
            else w.WriteString("content", m.Content);
            if (m.ToolCallId is { } id) w.WriteString("tool_call_id", id);
            if (m.ToolCalls is { Count: > 0 })
            {
                w.WriteStartArray("tool_calls");
                foreach (var c in m.ToolCalls)
                {
                    w.WriteStartObject();
                    if (c.Id is { } callId) w.WriteString("id", callId);
                    w.WriteString("type", "function");
                    w.WriteStartObject("function");
                    w.WriteString("name", c.Name);
                    w.WriteString("arguments", c.Arguments);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Writes <c>"tools": [{"type": "function", "function": {name, description, parameters}}]</c> (OpenAI).</summary>
    public static void WriteTools(Utf8JsonWriter w, IReadOnlyList<ToolDefinition> tools)
    {
        w.WriteStartArray("tools");
        foreach (var t in tools)
        {
            w.WriteStartObject();
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", t.Name);
            w.WriteString("description", t.Description);
            w.WritePropertyName("parameters");
            w.WriteRawValue(t.ParametersSchema);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
