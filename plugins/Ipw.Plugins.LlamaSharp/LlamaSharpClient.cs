using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Ipw.Abstractions;
using Ipw.Abstractions.Models;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

namespace Ipw.Plugins.LlamaSharp;

/// <summary>
/// In-process llama.cpp inference through LLamaSharp. One context is created at prepare time and
/// its memory cleared between requests, so per-query latency excludes allocation of the KV cache.
/// </summary>
public sealed class LlamaSharpClient : IInferenceClient
{
    private static readonly string[] KnownParameters = ["threads", "context_size"];
    private readonly ClientOptions _options;

    public LlamaSharpClient(ClientOptions options)
    {
        options.RequireKnown(KnownParameters);
        _options = options;
        Threads = options.GetInt("threads", Math.Max(1, Environment.ProcessorCount / 2));
        _requestedContext = options.Settings.ContainsKey("context_size") ? options.GetInt("context_size", 0) : null;
    }

    private LLamaWeights? _weights;
    private LLamaContext? _context;
    private readonly LLamaBatch _batch = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Generation threads (setting "threads"); default: half the cores, at least one.</summary>
    public int Threads { get; }

    /// <summary>Largest default context: the KV cache of a real model's full training context can take gigabytes.</summary>
    public const int DefaultContextCap = 16384;

    private readonly int? _requestedContext;

    /// <summary>Context size in tokens (setting "context_size"); default: the model's training context, at most
    /// <see cref="DefaultContextCap"/>. Known after <see cref="PrepareAsync"/>.</summary>
    public int ContextSize { get; private set; }

    public Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken)
    {
        if (Threads < 1) throw new PluginConfigurationException($"threads must be at least 1, got {Threads}");
        if (_requestedContext is < 64) throw new PluginConfigurationException($"context_size must be at least 64, got {_requestedContext}");

        var (path, label, builtIn) = ResolveModel(_options.Model);
        NativeLogging.Install();
        var parameters = new ModelParams(path)
        {
            Threads = Threads,
            BatchThreads = Threads,
            GpuLayerCount = 0,
        };
        try
        {
            _weights = LLamaWeights.LoadFromFile(parameters);
            ContextSize = _requestedContext ?? Math.Min(_weights.ContextSize, DefaultContextCap);
            parameters.ContextSize = (uint)ContextSize;
            _context = _weights.CreateContext(parameters);
        }
        catch (Exception e) when (e is LLama.Exceptions.RuntimeError or LLama.Exceptions.LoadWeightsFailedException)
        {
            throw new PluginConfigurationException($"model '{path}' could not be loaded by llama.cpp: {e.Message}");
        }

        var details = new Dictionary<string, string>
        {
            ["path"] = path,
            ["size_bytes"] = new FileInfo(path).Length.ToString(CultureInfo.InvariantCulture),
            ["parameters"] = _weights.ParameterCount.ToString(CultureInfo.InvariantCulture),
            ["context_size"] = ContextSize.ToString(CultureInfo.InvariantCulture),
            ["threads"] = Threads.ToString(CultureInfo.InvariantCulture),
            ["engine"] = $"LLamaSharp {EngineVersion} (llama.cpp, CPU)",
        };
        if (builtIn)
        {
            details["built_in"] = TinyModel.Describe();
            details["sha256"] = TinyModel.Sha256(path);
        }
        return Task.FromResult(new ClientInfo(label, details));
    }

    private static string EngineVersion =>
        typeof(LLamaWeights).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public Task<InferenceResult> SendAsync(InferenceRequest request, CancellationToken cancellationToken) =>
        SendAsync(request, null, cancellationToken);

    /// <summary>Generates, handing each token's text to <paramref name="onToken"/> as it is produced
    /// (for hosts that stream the engine's output, such as a test server).</summary>
    public async Task<InferenceResult> SendAsync(InferenceRequest request, Action<string>? onToken, CancellationToken cancellationToken)
    {
        var context = _context ?? throw new InvalidOperationException("PrepareAsync was not called");
        // The engine runs one request at a time; a request waiting for it counts as sent, as one queued in a
        // server would, so its wait shows in its TTFT.
        var submitted = Stopwatch.GetTimestamp();
        // Generation is CPU-bound native work: never on the caller's thread (an open-loop scheduler sends from its own).
        await Task.Yield();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await GenerateAsync(context, request, onToken, submitted, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Tokens of the prompt the model sees for these messages (chat template applied, BOS added).</summary>
    public int CountPromptTokens(IReadOnlyList<ChatMessage> messages) =>
        (_context ?? throw new InvalidOperationException("PrepareAsync was not called")).Tokenize(ApplyTemplate(messages), addBos: true, special: true).Length;

    /// <summary>Tokens of plain text (no template, no BOS).</summary>
    public int CountTextTokens(string text) =>
        (_context ?? throw new InvalidOperationException("PrepareAsync was not called")).Tokenize(text, addBos: false, special: false).Length;

    private string ApplyTemplate(IReadOnlyList<ChatMessage> messages)
    {
        var template = new LLamaTemplate(_weights!) { AddAssistant = true };
        foreach (var m in messages) template.Add(m.Role, m.Content);
        return LLama.Transformers.PromptTemplateTransformer.ToModelPrompt(template);
    }

    private async Task<InferenceResult> GenerateAsync(LLamaContext context, InferenceRequest request, Action<string>? onToken, long submitted, CancellationToken ct)
    {
        var weights = _weights!;
        var prompt = ApplyTemplate(request.Messages);
        var chunks = new List<StreamChunk>(Math.Min(request.Parameters.MaxTokens, 4096));
        var text = new System.Text.StringBuilder();
        var timings = new Dictionary<string, double>();

        var sentAt = submitted;
        var started = Stopwatch.GetTimestamp();
        var tokens = context.Tokenize(prompt, addBos: true, special: true).ToList();
        var inputTokens = tokens.Count;
        if (inputTokens >= ContextSize)
        {
            return Failed(sentAt, new ClientError(ErrorClass.BadRequest,
                $"prompt of {inputTokens} tokens does not fit the context of {ContextSize} tokens"), inputTokens);
        }

        context.NativeHandle.MemoryClear(true);
        using var sampler = new DefaultSamplingPipeline
        {
            Temperature = (float)request.Parameters.Temperature,
            Seed = request.Parameters.Seed is { } s ? unchecked((uint)s) : (uint)Random.Shared.Next(),
        };
        var decoder = new StreamingTokenDecoder(context);
        string? finish = null;
        var generated = 0;
        try
        {
            _batch.Clear();
            var (result, _, past) = await context.DecodeAsync(tokens, LLamaSeqId.Zero, _batch, 0).ConfigureAwait(false);
            if (result != DecodeResult.Ok)
                return Failed(sentAt, new ClientError(ErrorClass.Server, $"prompt decode failed: {result}"), inputTokens);
            var prefillDone = Stopwatch.GetTimestamp();
            timings["prompt_eval"] = Stopwatch.GetElapsedTime(started, prefillDone).TotalSeconds;

            var nPast = past;
            while (generated < request.Parameters.MaxTokens)
            {
                ct.ThrowIfCancellationRequested();
                var id = sampler.Sample(context.NativeHandle, _batch.TokenCount - 1);
                if (id.IsEndOfGeneration(weights.Vocab)) { finish = "stop"; break; }
                decoder.Add(id);
                var piece = decoder.Read();
                text.Append(piece);
                onToken?.Invoke(piece);
                generated++;
                chunks.Add(new StreamChunk(Stopwatch.GetTimestamp(), ChunkKind.Content, 1));
                if (generated == request.Parameters.MaxTokens) { finish = "length"; break; }
                if (nPast + 1 >= ContextSize) { finish = "context"; break; }

                _batch.Clear();
                _batch.Add(id, nPast++, LLamaSeqId.Zero, true);
                var code = await context.DecodeAsync(_batch, ct).ConfigureAwait(false);
                if (code != DecodeResult.Ok)
                    return Failed(sentAt, new ClientError(ErrorClass.Server, $"decode failed at token {generated}: {code}"), inputTokens);
            }
            finish ??= "length";
            var done = Stopwatch.GetTimestamp();
            timings["eval"] = Stopwatch.GetElapsedTime(prefillDone, done).TotalSeconds;
            return new InferenceResult(sentAt, done, chunks, text.ToString(), null,
                new TokenUsage(inputTokens, generated, "engine"), timings, finish, null);
        }
        catch (OperationCanceledException)
        {
            return new InferenceResult(sentAt, Stopwatch.GetTimestamp(), chunks, text.ToString(), null,
                new TokenUsage(inputTokens, generated, "engine"), timings, "cancelled",
                new ClientError(ErrorClass.Cancelled, "cancelled"));
        }
    }

    private static InferenceResult Failed(long sentAt, ClientError error, long inputTokens) =>
        new(sentAt, Stopwatch.GetTimestamp(), [], "", null, new TokenUsage(inputTokens, null, "engine"),
            new Dictionary<string, double>(), null, error);

    /// <summary>Maps <c>--model</c> to a file: empty or "ipw-tiny" is the built-in model, anything else a GGUF path.</summary>
    internal static (string Path, string Label, bool BuiltIn) ResolveModel(string? model)
    {
        if (string.IsNullOrWhiteSpace(model) || model == TinyModel.Name)
            return (TinyModel.EnsureWritten(), TinyModel.Name, true);

        var path = Path.GetFullPath(model);
        if (Directory.Exists(path))
            throw new PluginConfigurationException($"model path '{model}' is a folder; give a .gguf file");
        try
        {
            // The header checked here, so a truncated or corrupt file is one line, not a fault inside llama.cpp.
            GgufFile.Read(path);
        }
        catch (ModelFileException e)
        {
            throw new PluginConfigurationException($"model file '{model}': {e.Message}");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PluginConfigurationException($"model file '{model}' does not exist");
        }
        catch (UnauthorizedAccessException)
        {
            throw new PluginConfigurationException($"model file '{model}' is not readable (permission denied)");
        }
        catch (IOException e)
        {
            throw new PluginConfigurationException($"model file '{model}' cannot be read: {e.Message}");
        }
        return (path, Path.GetFileNameWithoutExtension(path), false);
    }

    public ValueTask DisposeAsync()
    {
        _context?.Dispose();
        _weights?.Dispose();
        _batch.Clear();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
