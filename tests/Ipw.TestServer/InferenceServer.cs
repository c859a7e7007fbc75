using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ipw.Abstractions;
using Ipw.Plugins.LlamaSharp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ipw.TestServer;

/// <summary>
/// ASP.NET Core on 127.0.0.1 serving real inference (LLamaSharp on the built-in tiny model) over
/// Ollama's native API (/api/*) and the OpenAI API (/v1/*, plus vLLM's /tokenize and /metrics and
/// llama.cpp's timings), as FORMATS.md describes them. Generation runs first, then the tokens are
/// streamed on the schedule the <see cref="Behaviour"/> sets, so the delays are exact ground truth.
/// </summary>
public sealed partial class InferenceServer : IAsyncDisposable
{
    public const string ModelName = "ipw-tiny";
    private readonly WebApplication _app;
    private readonly LlamaSharpClient _engine;
    private readonly SemaphoreSlim _engineGate = new(1, 1);
    private long _requests, _promptTokensTotal, _generationTokensTotal;

    public Uri BaseUrl { get; }
    private Behaviour _behaviour = new();
    private TranscriptReplay? _replay;

    /// <summary>How the server answers from now on; setting it restarts the request count that <see cref="Behaviour.FaultEvery"/> uses,
    /// and a transcript's replay from its first exchange.</summary>
    public Behaviour Behaviour
    {
        get => _behaviour;
        set
        {
            _replay = value.Replay is { } name ? new TranscriptReplay(value.Transcript ?? Transcript.Named(name)) : null;
            _behaviour = value;
            Interlocked.Exchange(ref _requests, 0);
        }
    }
    public ConcurrentQueue<ServedRequest> Served { get; } = new();

    /// <summary>Called (OpenAI endpoints) when a request enters prefill, writes its first token, and finishes, with its
    /// request number: a test can drive a scripted power trace from it.</summary>
    public Action<long, ServerPhase>? PhaseHook { get; set; }

    private InferenceServer(WebApplication app, LlamaSharpClient engine, Uri baseUrl)
    {
        _app = app;
        _engine = engine;
        BaseUrl = baseUrl;
    }

    /// <param name="port">The port to listen on, on 127.0.0.1 (0: a free one).</param>
    public static async Task<InferenceServer> StartAsync(int port = 0)
    {
        var engine = new LlamaSharpClient(new ClientOptions(null, null, new Dictionary<string, string> { ["threads"] = "1", ["context_size"] = "16384" }));
        var engineInfo = await engine.PrepareAsync(CancellationToken.None);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        InferenceServer? server = null;
        // A transcript being replayed answers the requests it lists before any route does.
        app.Use(async (HttpContext ctx, RequestDelegate next) =>
        {
            var received = Stopwatch.GetTimestamp();
            var replay = server?._replay;
            if (replay is not null && replay.Closed(ctx))
            {
                ctx.Abort(); // a request on a connection the server has closed: no byte of an answer
                return;
            }
            if (replay?.Next(ctx.Request) is { } exchange)
            {
                var (body, writes) = await TranscriptReplay.WriteAsync(ctx, exchange, received, server!.Behaviour.ExactTiming);
                if (exchange.CloseAfter) replay.Close(ctx);
                if (server!.Behaviour.KeepLog)
                    server.Served.Enqueue(new ServedRequest(ctx.Request.Path, replay.Name, received, writes.FirstOrDefault(), writes, 0, 0, "", Fault.None) { RequestJson = body });
                return;
            }
            await next(ctx);
        });
        ServerInfoRoutes.Map(app, ModelName, engineInfo.Details["path"]);
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = ModelName, @object = "model", owned_by = "ipw-test" } } }));
        app.MapPost("/v1/chat/completions", ctx => server!.OpenAiAsync(ctx, chat: true));
        app.MapPost("/v1/completions", ctx => server!.OpenAiAsync(ctx, chat: false));
        app.MapPost("/tokenize", ctx => server!.TokenizeAsync(ctx));
        app.MapGet("/metrics", ctx => server!.MetricsAsync(ctx));
        app.MapGet("/api/tags", () => Results.Json(new { models = new[] { new { name = ModelName + ":latest", model = ModelName + ":latest", size = 1_495_424 } } }));
        app.MapGet("/api/ps", () => Results.Json(new { models = new[] { new { name = ModelName + ":latest", size_vram = 0 } } }));
        app.MapPost("/api/chat", ctx => server!.OllamaAsync(ctx, chat: true));
        app.MapPost("/api/generate", ctx => server!.OllamaAsync(ctx, chat: false));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new InferenceServer(app, engine, new Uri(address));
        return server;
    }

    private sealed record Parsed(string Model, List<ChatMessage> Messages, int MaxTokens, double Temperature, int? Seed, bool Stream, bool HasPrompt, JsonElement Root);

    private static async Task<Parsed?> ReadRequestAsync(HttpContext ctx, bool chat, bool ollama)
    {
        using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
        var root = doc.RootElement.Clone();
        var model = root.TryGetProperty("model", out var m) ? m.GetString() ?? "" : "";
        var messages = new List<ChatMessage>();
        var hasPrompt = true;
        if (chat && root.TryGetProperty("messages", out var ms))
            foreach (var x in ms.EnumerateArray())
                messages.Add(new ChatMessage(x.GetProperty("role").GetString()!,
                    x.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : ""));
        else if (root.TryGetProperty("prompt", out var p)) messages.Add(new ChatMessage("user", p.GetString()!));
        else hasPrompt = false;
        var options = ollama && root.TryGetProperty("options", out var o) ? o : root;
        var max = options.TryGetProperty(ollama ? "num_predict" : "max_tokens", out var mt) ? mt.GetInt32() : 64;
        var temperature = options.TryGetProperty("temperature", out var t) ? t.GetDouble() : 0.8;
        int? seed = options.TryGetProperty("seed", out var s) ? s.GetInt32() : null;
        var stream = !root.TryGetProperty("stream", out var st) || st.ValueKind != JsonValueKind.False;
        return new Parsed(model, messages, max, temperature, seed, stream, hasPrompt, root);
    }

    private async Task<(List<string> Tokens, int PromptTokens)> GenerateAsync(Parsed request)
    {
        var tokens = new List<string>();
        await _engineGate.WaitAsync();
        try
        {
            var result = await _engine.SendAsync(new InferenceRequest("srv", request.Messages, new GenerationParameters(request.MaxTokens, request.Temperature, request.Seed)),
                tokens.Add, CancellationToken.None);
            if (result.Error is not null) throw new BadHttpRequestException(result.Error.Message);
            return (tokens, (int)result.Usage!.InputTokens!.Value);
        }
        finally
        {
            _engineGate.Release();
        }
    }

    /// <summary>Generates, or answers 400 with the reason (as vLLM and Ollama do for a prompt longer than the
    /// context) and returns null.</summary>
    private async Task<(List<string> Tokens, int PromptTokens)?> TryGenerateAsync(HttpContext ctx, Parsed request, bool ollama)
    {
        try
        {
            return await GenerateAsync(request);
        }
        catch (BadHttpRequestException e)
        {
            await ErrorAsync(ctx, 400, e.Message, ollama);
            return null;
        }
    }

    private static Fault FaultFor(long requestNumber, Behaviour b)
    {
        if (b.FaultMix is not { Count: > 0 } mix)
            return b.Fault != Fault.None && requestNumber % Math.Max(1, b.FaultEvery) == 0 ? b.Fault : Fault.None;
        // A uniform draw from the request number (a Fibonacci hash): repeatable, and spread over the run.
        var u = (double)(unchecked((ulong)requestNumber * 0x9E3779B97F4A7C15UL) >> 11) / (1UL << 53);
        foreach (var (fault, share) in mix.OrderBy(p => p.Key))
        {
            if (u < share) return fault;
            u -= share;
        }
        return Fault.None;
    }

    private async Task OpenAiAsync(HttpContext ctx, bool chat)
    {
        var received = Stopwatch.GetTimestamp();
        var b = Behaviour;
        var number = Interlocked.Increment(ref _requests);
        var request = await ReadRequestAsync(ctx, chat, ollama: false);
        if (request!.Model != ModelName)
        {
            await ErrorAsync(ctx, 404, $"The model `{request.Model}` does not exist.");
            return;
        }
        PhaseHook?.Invoke(number, ServerPhase.Prefill);
        try
        {
            await OpenAiStreamAsync(ctx, chat, received, b, number, request);
        }
        finally
        {
            PhaseHook?.Invoke(number, ServerPhase.Done);
        }
    }

    /// <summary>Fixed tokens, without the engine: the fastest mode.</summary>
    private static (List<string> Tokens, int PromptTokens) Canned(Parsed request, long number, Behaviour b)
    {
        var n = b.CannedTokens + (b.CannedTokensSpread > 0 ? (int)((number * 7919) % (b.CannedTokensSpread + 1)) : 0);
        var tokens = new List<string>(Math.Min(n, request.MaxTokens));
        for (var i = 0; i < Math.Min(n, request.MaxTokens); i++) tokens.Add(i == 0 ? "tok" : " tok");
        var promptChars = request.Messages.Sum(m => m.Content.Length);
        return (tokens, Math.Max(1, promptChars / 4));
    }

    /// <summary>A scripted answer, one word per token.</summary>
    private static (List<string> Tokens, int PromptTokens) Scripted(Parsed request, string reply)
    {
        var words = reply.Split(' ');
        var tokens = words.Select((w, i) => i == 0 ? w : " " + w).Take(request.MaxTokens).ToList();
        return (tokens, Math.Max(1, request.Messages.Sum(m => m.Content.Length) / 4));
    }

    private async Task OpenAiStreamAsync(HttpContext ctx, bool chat, long received, Behaviour b, long number, Parsed request)
    {
        var fault = FaultFor(number, b);
        if (fault == Fault.SlowDrip) b = b with { InterChunkDelay = b.SlowDripGap };
        if (fault == Fault.CutBeforeAnswer)
        {
            Log(ctx, request, received, 0, [], 0, 0, "", fault, number, b);
            ctx.Abort();
            return;
        }
        if (fault is Fault.Http500 or Fault.Http429)
        {
            Log(ctx, request, received, 0, [], 0, 0, "", fault, number, b);
            await ErrorAsync(ctx, fault == Fault.Http500 ? 500 : 429, fault == Fault.Http500 ? "injected server error" : "injected rate limit");
            return;
        }
        if (chat && request.Stream && b.ToolCalls is { Count: > 0 } script && request.Root.TryGetProperty("tools", out _)
            && request.Messages.Count(m => m.Role == "tool") is var answered && answered < script.Count)
        {
            await ToolCallStreamAsync(ctx, script[answered], received, b, number, request);
            return;
        }
        (List<string> Tokens, int PromptTokens) output;
        if (b.Reply?.Invoke(request.Messages.LastOrDefault()?.Content ?? "") is { } reply) output = Scripted(request, reply);
        else if (b.CannedTokens > 0) output = Canned(request, number, b);
        else if (await TryGenerateAsync(ctx, request, ollama: false) is { } generated) output = generated;
        else return;
        var (tokens, promptTokens) = output;
        Interlocked.Add(ref _promptTokensTotal, promptTokens);
        Interlocked.Add(ref _generationTokensTotal, tokens.Count);
        if (!request.Stream)
        {
            Log(ctx, request, received, 0, [], promptTokens, tokens.Count, string.Concat(tokens), Fault.None, number, b);
            await NonStreaming.OpenAiAsync(ctx, chat, $"cmpl-{number}", ModelName, tokens, promptTokens, request.MaxTokens);
            return;
        }
        var includeUsage = request.Root.TryGetProperty("stream_options", out var so) && so.TryGetProperty("include_usage", out var iu) && iu.GetBoolean() && !b.OmitUsage;
        var runningUsage = so.ValueKind == JsonValueKind.Object && so.TryGetProperty("continuous_usage_stats", out var cu) && cu.GetBoolean() && !b.OmitUsage;

        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        var id = $"cmpl-{number}";
        var writes = new List<long>();
        long firstText = 0;
        if (chat && b.RoleOnlyFirstChunk)
        {
            await SseAsync(ctx, Chunk(id, chat, w => { w.WriteStartObject("delta"); w.WriteString("role", "assistant"); w.WriteString("content", ""); w.WriteEndObject(); }, null, null));
            writes.Add(Stopwatch.GetTimestamp());
        }

        var sent = 0;
        var chunkIndex = 0;
        for (var i = 0; i < tokens.Count; i += b.TokensPerChunk)
        {
            await WaitForSlotAsync(received, firstText, chunkIndex, b);
            if (chunkIndex == b.FaultAfterChunks && fault is not (Fault.None or Fault.SlowDrip))
            {
                Log(ctx, request, received, firstText, writes, promptTokens, sent, string.Concat(tokens.Take(sent)), fault, number, b);
                await InjectStreamFaultAsync(ctx, fault, ollama: false);
                return;
            }
            var n = Math.Min(b.TokensPerChunk, tokens.Count - i);
            var piece = string.Concat(tokens.Skip(i).Take(n));
            var reasoning = i < b.ReasoningTokens;
            sent += n;
            var usageNow = runningUsage ? (promptTokens, sent) : ((int, int)?)null;
            await SseAsync(ctx, Chunk(id, chat, w =>
            {
                if (chat)
                {
                    w.WriteStartObject("delta");
                    w.WriteString(reasoning ? (b.ReasoningFieldIsReasoning ? "reasoning" : "reasoning_content") : "content", piece);
                    w.WriteEndObject();
                }
                else w.WriteString("text", piece);
            }, null, usageNow));
            var now = Stopwatch.GetTimestamp();
            writes.Add(now);
            if (firstText == 0)
            {
                firstText = now;
                PhaseHook?.Invoke(number, ServerPhase.Decode);
            }
            chunkIndex++;
        }
        await SseAsync(ctx, Chunk(id, chat, w =>
        {
            if (chat) { w.WriteStartObject("delta"); w.WriteEndObject(); }
            else w.WriteString("text", "");
        }, tokens.Count == request.MaxTokens ? "length" : "stop", runningUsage ? (promptTokens, sent) : null, timings: true, promptTokens, tokens.Count));
        if (includeUsage)
        {
            await SseAsync(ctx, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
            {
                id,
                @object = chat ? "chat.completion.chunk" : "text_completion",
                model = ModelName,
                choices = Array.Empty<object>(),
                usage = new { prompt_tokens = promptTokens, completion_tokens = tokens.Count, total_tokens = promptTokens + tokens.Count },
            })));
        }
        // Logged before the terminator: a client that exits on [DONE] must find its request here.
        Log(ctx, request, received, firstText, writes, promptTokens, tokens.Count, string.Concat(tokens), Fault.None, number, b);
        await SseAsync(ctx, "[DONE]"u8.ToArray());
    }

    private static byte[] Chunk(string id, bool chat, Action<Utf8JsonWriter> choice, string? finish, (int Prompt, int Completion)? usage,
        bool timings = false, int promptN = 0, int predictedN = 0)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", chat ? "chat.completion.chunk" : "text_completion");
            w.WriteString("model", ModelName);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            choice(w);
            if (finish is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finish);
            w.WriteEndObject();
            w.WriteEndArray();
            if (usage is { } u)
            {
                w.WriteStartObject("usage");
                w.WriteNumber("prompt_tokens", u.Prompt);
                w.WriteNumber("completion_tokens", u.Completion);
                w.WriteNumber("total_tokens", u.Prompt + u.Completion);
                w.WriteEndObject();
            }
            if (timings)
            {
                // llama.cpp's server adds these to its last chunk.
                w.WriteStartObject("timings");
                w.WriteNumber("prompt_n", promptN);
                w.WriteNumber("prompt_ms", 1.5);
                w.WriteNumber("predicted_n", predictedN);
                w.WriteNumber("predicted_ms", 12.5);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static async Task SseAsync(HttpContext ctx, byte[] json)
    {
        await ctx.Response.Body.WriteAsync("data: "u8.ToArray());
        await ctx.Response.Body.WriteAsync(json);
        await ctx.Response.Body.WriteAsync("\n\n"u8.ToArray());
        await ctx.Response.Body.FlushAsync();
    }

    /// <summary>Sleeps until the chunk's scheduled time; the schedule is measured from arrival, so it is exact.</summary>
    private static async Task WaitForSlotAsync(long received, long firstText, int chunkIndex, Behaviour b)
    {
        var due = chunkIndex == 0
            ? received + (long)(b.FirstTokenDelay.TotalSeconds * Stopwatch.Frequency)
            : firstText + (long)(chunkIndex * b.InterChunkDelay.TotalSeconds * Stopwatch.Frequency);
        await ServerClock.WaitUntilAsync(due, b.ExactTiming);
    }

    private static async Task InjectStreamFaultAsync(HttpContext ctx, Fault fault, bool ollama)
    {
        switch (fault)
        {
            case Fault.Disconnect:
                await ctx.Response.Body.FlushAsync();
                // Let the chunks already sent be read: a reset discards data the peer has not read yet.
                await Task.Delay(100);
                ctx.Abort();
                break;
            case Fault.Malformed:
                var bad = ollama ? "{\"message\": {\"content\": \"x\"\n"u8.ToArray() : "data: {\"choices\": [{\"delta\": {\"content\": \"x\"\n\n"u8.ToArray();
                await ctx.Response.Body.WriteAsync(bad);
                await ctx.Response.Body.FlushAsync();
                break;
            case Fault.Hang:
                await ctx.Response.Body.FlushAsync();
                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up.
                }
                break;
            case Fault.ErrorEvent:
                var error = ollama ? "{\"error\": \"injected failure mid-stream\"}\n"u8.ToArray()
                    : "data: {\"error\": {\"message\": \"injected failure mid-stream\", \"type\": \"server_error\"}}\n\ndata: [DONE]\n\n"u8.ToArray();
                await ctx.Response.Body.WriteAsync(error);
                await ctx.Response.Body.FlushAsync();
                break;
        }
    }

    private async Task OllamaAsync(HttpContext ctx, bool chat)
    {
        var received = Stopwatch.GetTimestamp();
        var b = Behaviour;
        var request = await ReadRequestAsync(ctx, chat, ollama: true);
        var model = request!.Model.EndsWith(":latest", StringComparison.Ordinal) ? request.Model[..^7] : request.Model;
        if (model != ModelName)
        {
            await ErrorAsync(ctx, 404, $"model \"{request.Model}\" not found, try pulling it first", ollama: true);
            return;
        }
        if (!request.HasPrompt)
        {
            // A request without prompt or messages loads (or, with keep_alive 0, unloads) the model.
            await ctx.Response.WriteAsJsonAsync(new { model = request.Model, created_at = DateTime.UtcNow, response = "", done = true, done_reason = "load", load_duration = 1_234_567 });
            return;
        }
        // Only generation requests count towards FaultEvery (not model loads).
        var number = Interlocked.Increment(ref _requests);
        var fault = FaultFor(number, b);
        if (fault == Fault.SlowDrip) b = b with { InterChunkDelay = b.SlowDripGap };
        if (fault is Fault.Http500 or Fault.Http429)
        {
            Log(ctx, request, received, 0, [], 0, 0, "", fault);
            await ErrorAsync(ctx, fault == Fault.Http500 ? 500 : 429, fault == Fault.Http500 ? "injected server error" : "injected rate limit", ollama: true);
            return;
        }
        if (chat && request.Stream && b.ToolCalls is { Count: > 0 } script && request.Root.TryGetProperty("tools", out _)
            && request.Messages.Count(m => m.Role == "tool") is var answered && answered < script.Count)
        {
            await OllamaToolCallStreamAsync(ctx, script[answered], received, b, request);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        (List<string> Tokens, int PromptTokens) output;
        if (b.Reply?.Invoke(request.Messages.LastOrDefault()?.Content ?? "") is { } reply) output = Scripted(request, reply);
        else if (await TryGenerateAsync(ctx, request, ollama: true) is { } fresh) output = fresh;
        else return;
        var (tokens, promptTokens) = output;
        var generated = Stopwatch.GetTimestamp();
        if (!request.Stream)
        {
            Log(ctx, request, received, 0, [], promptTokens, tokens.Count, string.Concat(tokens), Fault.None);
            await NonStreaming.OllamaAsync(ctx, chat, request.Model, tokens, promptTokens, request.MaxTokens);
            return;
        }
        ctx.Response.ContentType = "application/x-ndjson";
        var writes = new List<long>();
        long firstText = 0;
        var chunkIndex = 0;
        var sent = 0;
        for (var i = 0; i < tokens.Count; i += b.TokensPerChunk)
        {
            await WaitForSlotAsync(received, firstText, chunkIndex, b);
            if (chunkIndex == b.FaultAfterChunks && fault is not (Fault.None or Fault.SlowDrip))
            {
                Log(ctx, request, received, firstText, writes, promptTokens, sent, string.Concat(tokens.Take(sent)), fault);
                await InjectStreamFaultAsync(ctx, fault, ollama: true);
                return;
            }
            var n = Math.Min(b.TokensPerChunk, tokens.Count - i);
            var piece = string.Concat(tokens.Skip(i).Take(n));
            var field = i < b.ReasoningTokens ? "thinking" : chat ? "content" : "response";
            sent += n;
            object line = chat
                ? new Dictionary<string, object> { ["model"] = request.Model, ["created_at"] = DateTime.UtcNow, ["message"] = new Dictionary<string, string> { ["role"] = "assistant", [field] = piece, }, ["done"] = false }
                : new Dictionary<string, object> { ["model"] = request.Model, ["created_at"] = DateTime.UtcNow, [field] = piece, ["done"] = false };
            await NdjsonAsync(ctx, line);
            var now = Stopwatch.GetTimestamp();
            writes.Add(now);
            if (firstText == 0) firstText = now;
            chunkIndex++;
        }
        var ns = (double)1_000_000_000 / Stopwatch.Frequency;
        var final = new Dictionary<string, object>
        {
            ["model"] = request.Model,
            ["created_at"] = DateTime.UtcNow,
            ["done"] = true,
            ["done_reason"] = tokens.Count == request.MaxTokens ? "length" : "stop",
            ["total_duration"] = (long)((Stopwatch.GetTimestamp() - received) * ns),
            ["load_duration"] = 1_000,
            ["prompt_eval_count"] = promptTokens,
            ["prompt_eval_duration"] = (long)((generated - started) * ns / 2),
            ["eval_count"] = tokens.Count,
            ["eval_duration"] = (long)((generated - started) * ns / 2),
        };
        if (chat) final["message"] = new Dictionary<string, string> { ["role"] = "assistant", ["content"] = "" };
        else final["response"] = "";
        Log(ctx, request, received, firstText, writes, promptTokens, tokens.Count, string.Concat(tokens), Fault.None);
        await NdjsonAsync(ctx, final);
    }

    private static async Task NdjsonAsync(HttpContext ctx, object line)
    {
        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(line));
        await ctx.Response.Body.WriteAsync("\n"u8.ToArray());
        await ctx.Response.Body.FlushAsync();
    }

    private async Task TokenizeAsync(HttpContext ctx)
    {
        var request = await ReadRequestAsync(ctx, chat: true, ollama: false);
        var addSpecial = !request!.Root.TryGetProperty("add_special_tokens", out var a) || a.GetBoolean();
        int count;
        await _engineGate.WaitAsync();
        try
        {
            count = request.Root.TryGetProperty("messages", out _)
                ? _engine.CountPromptTokens(request.Messages)
                : addSpecial ? _engine.CountPromptTokens(request.Messages) : _engine.CountTextTokens(request.Messages[0].Content);
        }
        finally
        {
            _engineGate.Release();
        }
        await ctx.Response.WriteAsJsonAsync(new { count, max_model_len = 4096 });
    }

    private Task MetricsAsync(HttpContext ctx)
    {
        var text = new StringBuilder()
            .AppendLine("# HELP vllm:num_requests_running Number of requests currently running.")
            .AppendLine("# TYPE vllm:num_requests_running gauge")
            .AppendLine($"vllm:num_requests_running{{model_name=\"{ModelName}\"}} 0")
            .AppendLine("# TYPE vllm:kv_cache_usage_perc gauge")
            .AppendLine($"vllm:kv_cache_usage_perc{{model_name=\"{ModelName}\"}} 0.0")
            .AppendLine("# TYPE vllm:prompt_tokens_total counter")
            .AppendLine(CultureInfo.InvariantCulture, $"vllm:prompt_tokens_total{{model_name=\"{ModelName}\"}} {Interlocked.Read(ref _promptTokensTotal)}")
            .AppendLine("# TYPE vllm:generation_tokens_total counter")
            .AppendLine(CultureInfo.InvariantCulture, $"vllm:generation_tokens_total{{model_name=\"{ModelName}\"}} {Interlocked.Read(ref _generationTokensTotal)}")
            .ToString();
        ctx.Response.ContentType = "text/plain; version=0.0.4";
        return ctx.Response.WriteAsync(text);
    }

    private static async Task ErrorAsync(HttpContext ctx, int status, string message, bool ollama = false)
    {
        ctx.Response.StatusCode = status;
        if (ollama) await ctx.Response.WriteAsJsonAsync(new { error = message });
        else await ctx.Response.WriteAsJsonAsync(new { error = new { message, type = status == 429 ? "rate_limit" : "server_error", code = status } });
    }

    private void Log(HttpContext ctx, Parsed request, long received, long firstText, List<long> writes, int promptTokens, int completionTokens, string text, Fault fault,
        long number = 0, Behaviour? b = null)
    {
        if (b is { KeepLog: false }) return;
        Served.Enqueue(new ServedRequest(ctx.Request.Path, request.Model, received, firstText, writes.ToArray(), promptTokens, completionTokens, text, fault)
        {
            RequestJson = request.Root.GetRawText(),
            Number = number,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _engine.DisposeAsync();
        _engineGate.Dispose();
    }
}
