using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Ipw.TestServer;

public sealed partial class InferenceServer
{
    /// <summary>
    /// One tool call, streamed in vLLM's layout (serving_chat.py with a tool parser, as in the vllm/tool-calls golden
    /// transcript): a role-only chunk; a delta whose <c>tool_calls</c> entry has the call's id (<c>chatcmpl-tool-</c> and 32
    /// hex digits), type, index 0 and the function's name alone; the arguments in pieces, each an entry with only the index
    /// and <c>function.arguments</c>; a chunk with an empty delta and finish_reason <c>tool_calls</c>; the usage chunk;
    /// <c>[DONE]</c>. The chunks keep the behaviour's delays.
    /// </summary>
    private async Task ToolCallStreamAsync(HttpContext ctx, ScriptedToolCall call, long received, Behaviour b, long number, Parsed request)
    {
        var id = $"chatcmpl-{number}";
        var callId = "chatcmpl-tool-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var promptTokens = Math.Max(1, request.Messages.Sum(m => m.Content.Length) / 4);
        var pieces = Pieces(call.Arguments);
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        var writes = new List<long>();
        await SseAsync(ctx, Chunk(id, true, w => { w.WriteStartObject("delta"); w.WriteString("role", "assistant"); w.WriteString("content", ""); w.WriteEndObject(); }, null, null));
        writes.Add(Stopwatch.GetTimestamp());
        long firstText = 0;
        var chunkIndex = 0;
        async Task Delta(Action<Utf8JsonWriter> entry)
        {
            await WaitForSlotAsync(received, firstText, chunkIndex++, b);
            await SseAsync(ctx, Chunk(id, true, w =>
            {
                w.WriteStartObject("delta");
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                entry(w);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }, null, null));
            var now = Stopwatch.GetTimestamp();
            writes.Add(now);
            if (firstText == 0)
            {
                firstText = now;
                PhaseHook?.Invoke(number, ServerPhase.Decode);
            }
        }
        await Delta(w =>
        {
            w.WriteString("id", callId);
            w.WriteString("type", "function");
            w.WriteNumber("index", 0);
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteEndObject();
        });
        foreach (var piece in pieces)
            await Delta(w =>
            {
                w.WriteNumber("index", 0);
                w.WriteStartObject("function");
                w.WriteString("arguments", piece);
                w.WriteEndObject();
            });
        var completion = 1 + pieces.Count;
        await SseAsync(ctx, Chunk(id, true, w => { w.WriteStartObject("delta"); w.WriteEndObject(); }, "tool_calls", null));
        await SseAsync(ctx, JsonSerializer.SerializeToUtf8Bytes(new
        {
            id,
            @object = "chat.completion.chunk",
            model = ModelName,
            choices = Array.Empty<object>(),
            usage = new { prompt_tokens = promptTokens, completion_tokens = completion, total_tokens = promptTokens + completion },
        }));
        Log(ctx, request, received, firstText, writes, promptTokens, completion, call.Name + call.Arguments, Fault.None, number, b);
        await SseAsync(ctx, "[DONE]"u8.ToArray());
    }

    /// <summary>
    /// One tool call in Ollama's native layout (as the ollama/chat-tool-calls golden transcript): the call whole on one
    /// NDJSON line, its content empty and its arguments a JSON object, no call id; then the done line with done_reason
    /// <c>stop</c> and the counts.
    /// </summary>
    private async Task OllamaToolCallStreamAsync(HttpContext ctx, ScriptedToolCall call, long received, Behaviour b, Parsed request)
    {
        var promptTokens = Math.Max(1, request.Messages.Sum(m => m.Content.Length) / 4);
        ctx.Response.ContentType = "application/x-ndjson";
        await WaitForSlotAsync(received, 0, 0, b);
        using var arguments = JsonDocument.Parse(call.Arguments);
        var line = JsonSerializer.SerializeToUtf8Bytes(new
        {
            model = request.Model,
            created_at = DateTime.UtcNow,
            message = new { role = "assistant", content = "", tool_calls = new[] { new { function = new { name = call.Name, arguments = arguments.RootElement } } } },
            done = false,
        });
        await ctx.Response.Body.WriteAsync(line);
        await ctx.Response.Body.WriteAsync("\n"u8.ToArray());
        await ctx.Response.Body.FlushAsync();
        var first = Stopwatch.GetTimestamp();
        var completion = Math.Max(1, call.Arguments.Length / 4);
        var done = JsonSerializer.SerializeToUtf8Bytes(new
        {
            model = request.Model,
            created_at = DateTime.UtcNow,
            message = new { role = "assistant", content = "" },
            done = true,
            done_reason = "stop",
            prompt_eval_count = promptTokens,
            eval_count = completion,
        });
        await ctx.Response.Body.WriteAsync(done);
        await ctx.Response.Body.WriteAsync("\n"u8.ToArray());
        Log(ctx, request, received, first, [first], promptTokens, completion, call.Name + call.Arguments, Fault.None);
    }

    /// <summary>The arguments in up to three pieces, as a tool parser sends its diffs.</summary>
    private static List<string> Pieces(string arguments)
    {
        var third = Math.Max(1, arguments.Length / 3);
        var pieces = new List<string>();
        for (var i = 0; i < arguments.Length; i += third) pieces.Add(arguments.Substring(i, Math.Min(third, arguments.Length - i)));
        return pieces;
    }
}
