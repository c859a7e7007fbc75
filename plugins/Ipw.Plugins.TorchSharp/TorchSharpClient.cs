using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Ipw.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp;

/// <summary>
/// In-process inference on a Hugging Face model folder through TorchSharp. One request runs at a time (a queued request's
/// wait counts in its TTFT, as in a server). Every token is stamped when its id is on the host: on CUDA the device is
/// synchronised first, so TTFT and inter-token times are real, not the time to enqueue kernels.
/// </summary>
public sealed class TorchSharpClient : IInferenceClient
{
    private static readonly string[] KnownParameters = ["threads", "device", "dtype", "top_p", "context_size", "ignore_eos"];
    private readonly ClientOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly double _topP;
    private readonly bool _ignoreEos;
    private readonly int? _requestedContext;
    private CausalLm? _model;
    private HfTokenizer? _tokenizer;
    private long _peakCacheBytes;

    public TorchSharpClient(ClientOptions options)
    {
        options.RequireKnown(KnownParameters);
        _options = options;
        Threads = options.GetInt("threads", Math.Max(1, Environment.ProcessorCount / 2));
        _topP = options.GetDouble("top_p", 1.0);
        _ignoreEos = options.GetBool("ignore_eos", false);
        _requestedContext = options.Settings.ContainsKey("context_size") ? options.GetInt("context_size", 0) : null;
    }

    /// <summary>Intra-op threads of libtorch (setting "threads"); default: half the cores, at least one.</summary>
    public int Threads { get; }

    /// <summary>Largest context by default, as for llamasharp.</summary>
    public const int DefaultContextCap = 16384;

    /// <summary>The longest sequence (prompt and answer) a request may reach; known after <see cref="PrepareAsync"/>.</summary>
    public int ContextSize { get; private set; }

    internal CausalLm Model => _model ?? throw new InvalidOperationException("PrepareAsync was not called");

    internal HfTokenizer Tokenizer => _tokenizer ?? throw new InvalidOperationException("PrepareAsync was not called");

    public Task<ClientInfo> PrepareAsync(CancellationToken cancellationToken)
    {
        if (Threads < 1) throw new PluginConfigurationException($"threads must be at least 1, got {Threads}");
        if (_topP is <= 0 or > 1) throw new PluginConfigurationException($"top_p must be in (0, 1], got {_topP}");
        if (_requestedContext is < 16) throw new PluginConfigurationException($"context_size must be at least 16, got {_requestedContext}");
        var natives = TorchNatives.EnsureLoaded();
        var device = TorchSettings.ParseDevice(_options.Settings.GetValueOrDefault("device", "cpu"));
        torch.set_num_threads(Threads);

        var (folder, label, builtIn) = ResolveModel(_options.Model);
        var config = HfConfig.Load(folder);
        // float32 on the CPU unless asked (libtorch's CPU half-precision kernels are slow); the model's own dtype on CUDA.
        var dtype = TorchSettings.ParseDtype(_options.Settings.GetValueOrDefault("dtype")
            ?? (device.type == DeviceType.CUDA ? config.TorchDtype ?? "float32" : "float32"));
        _tokenizer = HfTokenizer.Load(folder, config.EosTokenIds, config.BosTokenId);
        using (no_grad()) _model = CausalLm.Load(folder, config, device, dtype);
        ContextSize = Math.Min(_requestedContext ?? Math.Min(config.MaxPositions, DefaultContextCap), config.MaxPositions);

        var details = new Dictionary<string, string>
        {
            ["path"] = folder,
            ["architecture"] = config.ModelType,
            ["parameters"] = _model.Parameters.ToString(CultureInfo.InvariantCulture),
            ["weight_bytes"] = _model.WeightBytes.ToString(CultureInfo.InvariantCulture),
            ["dtype"] = dtype.ToString().ToLowerInvariant(),
            ["device"] = device.ToString(),
            ["context_size"] = ContextSize.ToString(CultureInfo.InvariantCulture),
            ["threads"] = Threads.ToString(CultureInfo.InvariantCulture),
            ["tokenizer"] = _tokenizer.Kind,
            ["chat_template"] = _tokenizer.Template.Family,
            ["engine"] = $"TorchSharp {EngineVersion} (libtorch {TorchNatives.LibTorchVersion}, {(natives.Cuda ? "CUDA build" : "CPU build")})",
            ["libtorch"] = natives.LibTorchDir,
            ["memory_accounting"] = "tensor bytes held by the engine (weights, KV cache); TorchSharp does not expose libtorch's caching-allocator statistics",
        };
        if (natives.Patched is { } patched) details["libstdcxx_workaround"] = patched;
        if (builtIn) details["built_in"] = TinyHfModel.Describe();
        if (_topP < 1) details["top_p"] = _topP.ToString(CultureInfo.InvariantCulture);
        if (_ignoreEos) details["ignore_eos"] = "true: generation runs to max_tokens (as vLLM's ignore_eos), for fixed output lengths";
        return Task.FromResult(new ClientInfo(label, details));
    }

    private static string EngineVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public Task<InferenceResult> SendAsync(InferenceRequest request, CancellationToken cancellationToken) =>
        SendAsync(request, null, cancellationToken);

    /// <summary>Generates, handing each token's text to <paramref name="onToken"/> as it is produced.</summary>
    public async Task<InferenceResult> SendAsync(InferenceRequest request, Action<string>? onToken, CancellationToken cancellationToken)
    {
        var model = Model;
        var submitted = Stopwatch.GetTimestamp();
        await Task.Yield(); // CPU-bound native work never runs on the caller's thread
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Generate(model, request, onToken, submitted, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The prompt's token ids for these messages (chat template applied).</summary>
    internal List<int> PromptTokens(IReadOnlyList<ChatMessage> messages)
    {
        var tok = Tokenizer;
        var bosText = tok.BosId is int b ? tok.Decode([b]) : null;
        var rendersBos = tok.Template.Family is "llama3" or "inst";
        return tok.Encode(tok.Template.Render(messages, bosText), tok.AddBos && !rendersBos);
    }

    private InferenceResult Generate(CausalLm model, InferenceRequest request, Action<string>? onToken, long sentAt, CancellationToken ct)
    {
        var tok = Tokenizer;
        var chunks = new List<StreamChunk>(Math.Min(request.Parameters.MaxTokens, 4096));
        var timings = new Dictionary<string, double>();
        var started = Stopwatch.GetTimestamp();
        var prompt = PromptTokens(request.Messages);
        var inputTokens = prompt.Count;
        if (inputTokens == 0) return Failed(sentAt, new ClientError(ErrorClass.BadRequest, "the prompt encodes to no tokens"), 0);
        if (inputTokens >= ContextSize)
        {
            return Failed(sentAt, new ClientError(ErrorClass.BadRequest,
                $"prompt of {inputTokens} tokens does not fit the context of {ContextSize} tokens"), inputTokens);
        }
        var capacity = Math.Min(ContextSize, inputTokens + Math.Max(1, request.Parameters.MaxTokens));
        var pending = new List<int>();
        var generated = 0;
        string? finish = null;
        var text = new System.Text.StringBuilder();
        using var noGrad = no_grad();
        using var cache = model.NewCache(capacity);
        _peakCacheBytes = Math.Max(_peakCacheBytes, cache.Bytes);
        using var sampler = new Sampler(request.Parameters.Temperature, _topP,
            request.Parameters.Seed is { } s ? unchecked((ulong)s) : (ulong)Random.Shared.NextInt64(), model.Device);
        try
        {
            long next;
            using (var ids = tensor(prompt.Select(i => (long)i).ToArray(), [1, inputTokens], int64, model.Device))
            using (var logits = model.Forward(ids, cache))
            {
                next = sampler.Sample(logits);
            }
            TorchSettings.Sync(model.Device);
            timings["prompt_eval"] = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var decodeStart = Stopwatch.GetTimestamp();
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (!_ignoreEos && tok.EosIds.Contains((int)next)) { finish = "stop"; break; }
                pending.Add((int)next);
                generated++;
                // A character split across byte tokens decodes to U+FFFD until its last byte arrives: such tokens wait and
                // are emitted with the token that completes the character.
                var piece = tok.Decode(pending);
                if (!piece.EndsWith('\uFFFD'))
                {
                    text.Append(piece);
                    onToken?.Invoke(piece);
                    pending.Clear();
                }
                chunks.Add(new StreamChunk(Stopwatch.GetTimestamp(), ChunkKind.Content, 1));
                if (generated >= request.Parameters.MaxTokens) { finish = "length"; break; }
                if (inputTokens + generated >= ContextSize) { finish = "context"; break; }
                using var step = tensor(new[] { next }, [1, 1], int64, model.Device);
                using var logits = model.Forward(step, cache);
                next = sampler.Sample(logits);
                TorchSettings.Sync(model.Device);
            }
            if (pending.Count > 0) text.Append(tok.Decode(pending)); // bytes that never completed a character
            var done = Stopwatch.GetTimestamp();
            timings["eval"] = Stopwatch.GetElapsedTime(decodeStart, done).TotalSeconds;
            return new InferenceResult(sentAt, done, chunks, text.ToString(), null,
                new TokenUsage(inputTokens, generated, "engine"), timings, finish, null);
        }
        catch (OperationCanceledException)
        {
            return new InferenceResult(sentAt, Stopwatch.GetTimestamp(), chunks, text.ToString(), null,
                new TokenUsage(inputTokens, generated, "engine"), timings, "cancelled", new ClientError(ErrorClass.Cancelled, "cancelled"));
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            return Failed(sentAt, new ClientError(ErrorClass.Server, $"libtorch: {FirstLine(e.Message)}"), inputTokens);
        }
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();

    private static InferenceResult Failed(long sentAt, ClientError error, long inputTokens) =>
        new(sentAt, Stopwatch.GetTimestamp(), [], "", null, new TokenUsage(inputTokens, null, "engine"), new Dictionary<string, double>(), null, error);

    public Task<IReadOnlyDictionary<string, string>> FinishAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>
        {
            ["torchsharp_memory"] = string.Create(CultureInfo.InvariantCulture,
                $"{{\"weight_bytes\":{_model?.WeightBytes ?? 0},\"peak_kv_cache_bytes\":{_peakCacheBytes},\"source\":\"tensor sizes held by the engine\"}}"),
        });

    /// <summary>Maps <c>--model</c> to a folder: empty or "ipw-tiny-hf" is the built-in model, anything else a Hugging Face model folder.</summary>
    internal static (string Folder, string Label, bool BuiltIn) ResolveModel(string? model)
    {
        if (string.IsNullOrWhiteSpace(model) || model == TinyHfModel.Name) return (TinyHfModel.EnsureWritten(), TinyHfModel.Name, true);
        var path = Path.GetFullPath(model);
        if (File.Exists(path)) throw new PluginConfigurationException($"model '{model}' is a file; give a Hugging Face model folder (config.json, *.safetensors, tokenizer.json)");
        if (!Directory.Exists(path)) throw new PluginConfigurationException($"model folder '{model}' does not exist");
        return (path, Path.GetFileName(path.TrimEnd(Path.DirectorySeparatorChar)), false);
    }

    public ValueTask DisposeAsync()
    {
        _model?.Dispose();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
