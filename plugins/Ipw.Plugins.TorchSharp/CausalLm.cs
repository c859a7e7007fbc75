using Ipw.Abstractions;
using Ipw.Abstractions.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Ipw.Plugins.TorchSharp;

/// <summary>
/// A decoder-only language model run with TorchSharp's functional operators over weights read from safetensors. Generation
/// runs one sequence at a time: the prompt in one forward pass (prefill), then one token per pass against the key/value cache.
/// </summary>
internal abstract class CausalLm : IDisposable
{
    protected readonly Dictionary<string, Tensor> Weights;

    protected CausalLm(HfConfig config, Dictionary<string, Tensor> weights, Device device, ScalarType dtype)
    {
        Config = config;
        Weights = weights;
        Device = device;
        Dtype = dtype;
    }

    public HfConfig Config { get; }
    public Device Device { get; }
    public ScalarType Dtype { get; }

    /// <summary>Bytes held by the weights (on <see cref="Device"/>).</summary>
    public long WeightBytes => Weights.Values.Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>Parameters (elements of every weight tensor).</summary>
    public long Parameters => Weights.Values.Sum(t => t.NumberOfElements);

    /// <summary>Runs <paramref name="ids"/> (shape [1, T], int64) at positions <c>cache.Length</c> onwards, appends their keys
    /// and values to <paramref name="cache"/>, and returns float32 logits: [vocab] for the last position, or [T, vocab] for
    /// every position when <paramref name="allPositions"/>.</summary>
    public abstract Tensor Forward(Tensor ids, KvCache cache, bool allPositions = false);

    /// <summary>A cache for one sequence of up to <paramref name="capacity"/> tokens.</summary>
    public KvCache NewCache(int capacity) =>
        new(Config.Layers, Config.KvHeads, Config.HeadDim, capacity, Device, Dtype);

    protected Tensor W(string name) =>
        Weights.TryGetValue(name, out var t) ? t : throw new PluginConfigurationException($"the model has no tensor '{name}'");

    protected Tensor? Maybe(string name) => Weights.GetValueOrDefault(name);

    /// <summary>Attention of <paramref name="q"/> [1, H, T, D] over the cached keys and values of a layer.</summary>
    protected Tensor Attend(Tensor q, Tensor k, Tensor v, KvCache cache, int layer)
    {
        var t = q.shape[2];
        var start = cache.Length;
        var (keys, values) = cache.Append(layer, k, v);
        var groups = Config.Heads / Config.KvHeads;
        // Prefill starts an empty cache, so the causal mask is the plain lower triangle; a single decoded token sees everything.
        if (t > 1 && start != 0) throw new InvalidOperationException("a multi-token step must start at position 0");
        if (groups > 1 && t == 1)
        {
            // Decoding with grouped-query attention: query head h reads key/value head h / groups, so the query heads of a
            // group are attended as one group's queries over its shared keys, and the cache is never copied per head.
            var grouped = q.view(1, Config.KvHeads, groups, Config.HeadDim);
            return F.scaled_dot_product_attention(grouped, keys, values, null, 0.0, false).view(1, Config.Heads, 1, Config.HeadDim);
        }
        if (groups > 1)
        {
            keys = keys.repeat_interleave(groups, 1);
            values = values.repeat_interleave(groups, 1);
        }
        return F.scaled_dot_product_attention(q, keys, values, null, 0.0, t > 1);
    }

    /// <summary>Loads every tensor of the folder's safetensors files (sharded or not), converted to
    /// <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static CausalLm Load(string folder, HfConfig config, Device device, ScalarType dtype)
    {
        var files = SafetensorsFiles(folder);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                SafetensorsFile.Read(file); // the header checked first, so a corrupt file is one line, not a fault inside libtorch
            }
            catch (ModelFileException e)
            {
                throw new PluginConfigurationException($"{file}: {e.Message}");
            }
            Dictionary<string, Tensor> loaded;
            try
            {
                loaded = Safetensors.LoadStateDict(file);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new PluginConfigurationException($"{file}: not a readable safetensors file ({e.Message.ReplaceLineEndings(" ")})");
            }
            foreach (var (name, tensor) in loaded)
            {
                var key = config.Architecture == HfArchitecture.Gpt2 && name.StartsWith("transformer.", StringComparison.Ordinal) ? name["transformer.".Length..] : name;
                if (key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal) || key.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal))
                {
                    tensor.Dispose(); // buffers of older checkpoints: causal masks and rotary tables, recomputed here
                    continue;
                }
                weights[key] = tensor.to(dtype, device).DetachFromDisposeScope();
                if (!ReferenceEquals(weights[key], tensor)) tensor.Dispose();
            }
        }
        CausalLm model = config.Architecture switch
        {
            HfArchitecture.Llama => new LlamaLm(config, weights, device, dtype),
            _ => new Gpt2Lm(config, weights, device, dtype),
        };
        model.CheckShapes();
        return model;
    }

    /// <summary>The model's safetensors files: those named by <c>model.safetensors.index.json</c>, else every <c>*.safetensors</c>.</summary>
    internal static IReadOnlyList<string> SafetensorsFiles(string folder)
    {
        var index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            using var doc = HfJson.Parse(index);
            if (!doc.RootElement.TryGetProperty("weight_map", out var map))
                throw new PluginConfigurationException($"{index}: no weight_map");
            var shards = map.EnumerateObject().Select(p => p.Value.GetString()!).Distinct().Order(StringComparer.Ordinal)
                .Select(f => Path.Combine(folder, f)).ToList();
            foreach (var shard in shards)
                if (!File.Exists(shard)) throw new PluginConfigurationException($"{index} names {Path.GetFileName(shard)}, which is missing");
            return shards;
        }
        var all = Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).ToList();
        return all.Count > 0 ? all : throw new PluginConfigurationException($"model folder '{folder}' has no .safetensors file");
    }

    /// <summary>Checks every tensor the forward pass uses is present with the shape the config implies.</summary>
    protected abstract void CheckShapes();

    protected void Expect(string name, params long[] shape)
    {
        var t = W(name);
        if (!t.shape.SequenceEqual(shape))
            throw new PluginConfigurationException($"tensor '{name}' has shape [{string.Join(", ", t.shape)}], the config implies [{string.Join(", ", shape)}]");
    }

    public virtual void Dispose()
    {
        foreach (var t in Weights.Values) t.Dispose();
        Weights.Clear();
    }
}

/// <summary>Llama, Mistral and Qwen2.</summary>
internal sealed class LlamaLm : CausalLm
{
    private readonly Tensor _invFreq;
    private readonly Tensor _lmHead;
    private readonly Tensor _embed;
    private readonly Tensor _norm;
    private readonly Layer[] _layers;
    private Tensor? _cos;
    private Tensor? _sin;

    /// <summary>One decoder layer's tensors, looked up once rather than by name on every token.</summary>
    private sealed record Layer(Tensor InputNorm, Tensor Q, Tensor? QBias, Tensor K, Tensor? KBias, Tensor V, Tensor? VBias, Tensor O, Tensor? OBias,
        Tensor PostNorm, Tensor Gate, Tensor Up, Tensor Down);

    public LlamaLm(HfConfig config, Dictionary<string, Tensor> weights, Device device, ScalarType dtype) : base(config, weights, device, dtype)
    {
        var half = config.HeadDim / 2;
        var inv = new double[half];
        for (var i = 0; i < half; i++) inv[i] = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / config.HeadDim);
        if (config.Rope is { } rope) inv = rope.Apply(inv);
        _invFreq = tensor(inv, float64, device).DetachFromDisposeScope();
        _embed = W("model.embed_tokens.weight");
        _norm = W("model.norm.weight");
        _lmHead = config.TieWordEmbeddings || !weights.ContainsKey("lm_head.weight") ? _embed : W("lm_head.weight");
        _layers = [.. Enumerable.Range(0, config.Layers).Select(i =>
        {
            var p = $"model.layers.{i}.";
            return new Layer(W(p + "input_layernorm.weight"), W(p + "self_attn.q_proj.weight"), Maybe(p + "self_attn.q_proj.bias"),
                W(p + "self_attn.k_proj.weight"), Maybe(p + "self_attn.k_proj.bias"), W(p + "self_attn.v_proj.weight"), Maybe(p + "self_attn.v_proj.bias"),
                W(p + "self_attn.o_proj.weight"), Maybe(p + "self_attn.o_proj.bias"), W(p + "post_attention_layernorm.weight"),
                W(p + "mlp.gate_proj.weight"), W(p + "mlp.up_proj.weight"), W(p + "mlp.down_proj.weight"));
        })];
    }

    /// <summary>The rotary cosines and sines for positions [start, start + count), from a table grown (doubling) as needed.</summary>
    private (Tensor Cos, Tensor Sin) Rotary(int start, long count)
    {
        var needed = start + count;
        if (_cos is null || _cos.shape[0] < needed)
        {
            var size = Math.Max(needed, Math.Max(256, 2 * (_cos?.shape[0] ?? 0)));
            using var scope = NewDisposeScope();
            var freqs = outer(arange(0, size, float64, Device), _invFreq);
            var emb = cat([freqs, freqs], -1);
            _cos?.Dispose();
            _sin?.Dispose();
            _cos = emb.cos().to(Dtype).DetachFromDisposeScope();
            _sin = emb.sin().to(Dtype).DetachFromDisposeScope();
        }
        return (_cos.narrow(0, start, count), _sin!.narrow(0, start, count));
    }

    protected override void CheckShapes()
    {
        var c = Config;
        Expect("model.embed_tokens.weight", c.Vocab, c.HiddenSize);
        for (var i = 0; i < c.Layers; i++)
        {
            var p = $"model.layers.{i}.";
            Expect(p + "self_attn.q_proj.weight", c.Heads * c.HeadDim, c.HiddenSize);
            Expect(p + "self_attn.k_proj.weight", c.KvHeads * c.HeadDim, c.HiddenSize);
            Expect(p + "self_attn.v_proj.weight", c.KvHeads * c.HeadDim, c.HiddenSize);
            Expect(p + "self_attn.o_proj.weight", c.HiddenSize, c.Heads * c.HeadDim);
            Expect(p + "mlp.gate_proj.weight", c.Intermediate, c.HiddenSize);
            Expect(p + "mlp.up_proj.weight", c.Intermediate, c.HiddenSize);
            Expect(p + "mlp.down_proj.weight", c.HiddenSize, c.Intermediate);
            Expect(p + "input_layernorm.weight", c.HiddenSize);
            Expect(p + "post_attention_layernorm.weight", c.HiddenSize);
            if (c.AttentionBias) Expect(p + "self_attn.q_proj.bias", c.Heads * c.HeadDim);
        }
        Expect("model.norm.weight", c.HiddenSize);
        if (!ReferenceEquals(_lmHead, _embed)) Expect("lm_head.weight", c.Vocab, c.HiddenSize);
    }

    public override void Dispose()
    {
        _cos?.Dispose();
        _sin?.Dispose();
        _invFreq.Dispose();
        base.Dispose();
    }

    private Tensor RmsNorm(Tensor x, Tensor weight)
    {
        var x32 = x.to(float32);
        var normed = x32 * rsqrt(x32.pow(2).mean([-1], keepdim: true) + Config.NormEps);
        return normed.to(Dtype) * weight;
    }

    private static Tensor RotateHalf(Tensor x)
    {
        var half = x.shape[^1] / 2;
        return cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
    }

    public override Tensor Forward(Tensor ids, KvCache cache, bool allPositions = false)
    {
        using var scope = NewDisposeScope();
        var c = Config;
        var t = ids.shape[1];
        var (cos, sin) = Rotary(cache.Length, t);

        var x = _embed.index_select(0, ids.view(-1)).unsqueeze(0);
        for (var i = 0; i < c.Layers; i++)
        {
            var l = _layers[i];
            var h = RmsNorm(x, l.InputNorm);
            var q = F.linear(h, l.Q, l.QBias).view(1, t, c.Heads, c.HeadDim).transpose(1, 2);
            var k = F.linear(h, l.K, l.KBias).view(1, t, c.KvHeads, c.HeadDim).transpose(1, 2);
            var v = F.linear(h, l.V, l.VBias).view(1, t, c.KvHeads, c.HeadDim).transpose(1, 2);
            q = q * cos + RotateHalf(q) * sin;
            k = k * cos + RotateHalf(k) * sin;
            var a = Attend(q, k, v, cache, i).transpose(1, 2).reshape(1, t, c.Heads * c.HeadDim);
            x = x + F.linear(a, l.O, l.OBias);
            h = RmsNorm(x, l.PostNorm);
            x = x + F.linear(F.silu(F.linear(h, l.Gate)) * F.linear(h, l.Up), l.Down);
        }
        cache.Commit();
        x = RmsNorm(x, _norm);
        var last = allPositions ? x[0] : x[0, -1];
        return F.linear(last, _lmHead).to(float32).MoveToOuterDisposeScope();
    }
}

/// <summary>GPT-2.</summary>
internal sealed class Gpt2Lm : CausalLm
{
    private readonly Layer[] _layers;
    private readonly Tensor _wte;
    private readonly Tensor _wpe;
    private readonly Tensor _lnFW;
    private readonly Tensor _lnFB;

    /// <summary>One block's tensors, looked up once rather than by name on every token.</summary>
    private sealed record Layer(Tensor Ln1W, Tensor Ln1B, Tensor Attn, Tensor AttnB, Tensor Proj, Tensor ProjB, Tensor Ln2W, Tensor Ln2B,
        Tensor Fc, Tensor FcB, Tensor Out, Tensor OutB);

    public Gpt2Lm(HfConfig config, Dictionary<string, Tensor> weights, Device device, ScalarType dtype) : base(config, weights, device, dtype)
    {
        (_wte, _wpe, _lnFW, _lnFB) = (W("wte.weight"), W("wpe.weight"), W("ln_f.weight"), W("ln_f.bias"));
        _layers = [.. Enumerable.Range(0, config.Layers).Select(i =>
        {
            var p = $"h.{i}.";
            return new Layer(W(p + "ln_1.weight"), W(p + "ln_1.bias"), W(p + "attn.c_attn.weight"), W(p + "attn.c_attn.bias"),
                W(p + "attn.c_proj.weight"), W(p + "attn.c_proj.bias"), W(p + "ln_2.weight"), W(p + "ln_2.bias"),
                W(p + "mlp.c_fc.weight"), W(p + "mlp.c_fc.bias"), W(p + "mlp.c_proj.weight"), W(p + "mlp.c_proj.bias"));
        })];
    }

    protected override void CheckShapes()
    {
        var c = Config;
        Expect("wte.weight", c.Vocab, c.HiddenSize);
        Expect("wpe.weight", c.MaxPositions, c.HiddenSize);
        for (var i = 0; i < c.Layers; i++)
        {
            var p = $"h.{i}.";
            Expect(p + "attn.c_attn.weight", c.HiddenSize, 3 * c.HiddenSize);
            Expect(p + "attn.c_proj.weight", c.HiddenSize, c.HiddenSize);
            Expect(p + "mlp.c_fc.weight", c.HiddenSize, c.Intermediate);
            Expect(p + "mlp.c_proj.weight", c.Intermediate, c.HiddenSize);
        }
        Expect("ln_f.weight", c.HiddenSize);
    }

    private Tensor LayerNorm(Tensor x, Tensor weight, Tensor bias) => F.layer_norm(x, [Config.HiddenSize], weight, bias, Config.NormEps);

    /// <summary>GPT-2's tanh approximation of GELU ("gelu_new").</summary>
    private static Tensor GeluNew(Tensor x) => 0.5 * x * (1 + tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3))));

    public override Tensor Forward(Tensor ids, KvCache cache, bool allPositions = false)
    {
        using var scope = NewDisposeScope();
        var c = Config;
        var t = ids.shape[1];
        if (cache.Length + t > c.MaxPositions)
            throw new InvalidOperationException($"GPT-2 has {c.MaxPositions} positions; {cache.Length + t} were asked for");
        var positions = arange(cache.Length, cache.Length + t, int64, Device);
        var x = (_wte.index_select(0, ids.view(-1)) + _wpe.index_select(0, positions)).unsqueeze(0);
        for (var i = 0; i < c.Layers; i++)
        {
            var l = _layers[i];
            var h = LayerNorm(x, l.Ln1W, l.Ln1B);
            var parts = (h.matmul(l.Attn) + l.AttnB).split(c.HiddenSize, -1);
            var q = parts[0].view(1, t, c.Heads, c.HeadDim).transpose(1, 2);
            var k = parts[1].view(1, t, c.Heads, c.HeadDim).transpose(1, 2);
            var v = parts[2].view(1, t, c.Heads, c.HeadDim).transpose(1, 2);
            var a = Attend(q, k, v, cache, i).transpose(1, 2).reshape(1, t, c.HiddenSize);
            x = x + a.matmul(l.Proj) + l.ProjB;
            h = LayerNorm(x, l.Ln2W, l.Ln2B);
            x = x + GeluNew(h.matmul(l.Fc) + l.FcB).matmul(l.Out) + l.OutB;
        }
        cache.Commit();
        x = LayerNorm(x, _lnFW, _lnFB);
        var last = allPositions ? x[0] : x[0, -1];
        return last.matmul(_wte.t()).to(float32).MoveToOuterDisposeScope();
    }
}
