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
    /// assistant message's <c>tool_calls</c> and a tool message's <c>tool_call_id</c>. In the OpenAI shape a call's
    /// arguments are JSON text; Ollama's native API (<paramref name="ollama"/>) takes them as a JSON object and names the
    /// tool a result answers (<c>tool_name</c>), which it reads where a version keeps no call ids.</summary>
    public static void WriteMessages(Utf8JsonWriter w, IReadOnlyList<ChatMessage> messages, bool ollama = false)
    {
        w.WriteStartArray("messages");
        IReadOnlyList<ToolCallRequest> calls = [];
        var answered = 0;
        foreach (var m in messages)
        {
            w.WriteStartObject();
            w.WriteString("role", m.Role);
            if (m.ToolCalls is { Count: > 0 } && m.Content.Length == 0 && !ollama) w.WriteNull("content");
            else w.WriteString("content", m.Content);
            if (m.ToolCallId is { } id) w.WriteString("tool_call_id", id);
            if (ollama && m.Role == "tool")
            {
                // The call this answers: by its id where the server gave one, else the next in order.
                var call = calls.FirstOrDefault(c => c.Id is not null && c.Id == m.ToolCallId) ?? (answered < calls.Count ? calls[answered] : null);
                answered++;
                if (call is not null) w.WriteString("tool_name", call.Name);
            }
            if (m.ToolCalls is { Count: > 0 })
            {
                (calls, answered) = (m.ToolCalls, 0);
                w.WriteStartArray("tool_calls");
                foreach (var c in m.ToolCalls)
                {
                    w.WriteStartObject();
                    if (c.Id is { } callId) w.WriteString("id", callId);
                    if (!ollama) w.WriteString("type", "function");
                    w.WriteStartObject("function");
                    w.WriteString("name", c.Name);
                    if (ollama) WriteArgumentsObject(w, c.Arguments);
                    else w.WriteString("arguments", c.Arguments);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>A call's arguments as the JSON object Ollama takes; text the model generated that is no JSON object is sent
    /// as an empty one (Ollama would refuse the whole request), as the tool saw no arguments it could read either.</summary>
    private static void WriteArgumentsObject(Utf8JsonWriter w, string arguments)
    {
        w.WritePropertyName("arguments");
        try
        {
            using var doc = JsonDocument.Parse(arguments.Length == 0 ? "{}" : arguments);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                doc.RootElement.WriteTo(w);
                return;
            }
        }
        catch (JsonException)
        {
        }
        w.WriteStartObject();
        w.WriteEndObject();
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
