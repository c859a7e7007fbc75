using Microsoft.AspNetCore.Http;

namespace Ipw.TestServer;

/// <summary>Whole answers for <c>"stream": false</c>, in the OpenAI and Ollama shapes.</summary>
internal static class NonStreaming
{
    public static Task OpenAiAsync(HttpContext ctx, bool chat, string id, string model, List<string> tokens, int promptTokens, int maxTokens)
    {
        var text = string.Concat(tokens);
        var finish = tokens.Count == maxTokens ? "length" : "stop";
        var usage = new { prompt_tokens = promptTokens, completion_tokens = tokens.Count, total_tokens = promptTokens + tokens.Count };
        object choice = chat
            ? new { index = 0, message = new { role = "assistant", content = text }, finish_reason = finish }
            : new { index = 0, text, finish_reason = finish };
        return ctx.Response.WriteAsJsonAsync(new
        {
            id,
            @object = chat ? "chat.completion" : "text_completion",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model,
            choices = new[] { choice },
            usage,
        });
    }

    public static Task OllamaAsync(HttpContext ctx, bool chat, string model, List<string> tokens, int promptTokens, int maxTokens)
    {
        var answer = new Dictionary<string, object>
        {
            ["model"] = model,
            ["created_at"] = DateTime.UtcNow,
            ["done"] = true,
            ["done_reason"] = tokens.Count == maxTokens ? "length" : "stop",
            ["prompt_eval_count"] = promptTokens,
            ["eval_count"] = tokens.Count,
        };
        if (chat) answer["message"] = new Dictionary<string, string> { ["role"] = "assistant", ["content"] = string.Concat(tokens) };
        else answer["response"] = string.Concat(tokens);
        return ctx.Response.WriteAsJsonAsync(answer);
    }
}
