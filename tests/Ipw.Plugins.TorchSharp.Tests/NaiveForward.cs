namespace Ipw.Plugins.TorchSharp.Tests;

/// <summary>A tensor as stored in a Hugging Face safetensors file: its shape and row-major data.</summary>
internal sealed record NaiveTensor(int[] Shape, float[] Data);

/// <summary>The parts of a Llama-family config.json that the reference forward pass needs.</summary>
internal sealed record LlamaShape(int HiddenSize, int Layers, int Heads, int KvHeads, int Intermediate, int Vocab,
    double RmsNormEps, double RopeTheta, bool TieWordEmbeddings, bool AttentionBias /* qwen2: q,k,v have biases */, int HeadDim /* usually HiddenSize/Heads */);

/// <summary>The parts of a GPT-2 config.json that the reference forward pass needs.</summary>
internal sealed record Gpt2Shape(int Embd, int Layers, int Heads, int Vocab, int Positions, double LayerNormEps);

/// <summary>
/// An independent, deliberately naive reference of the forward pass of Hugging Face transformers' decoder models
/// (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPT2LMHeadModel), written with plain arrays and loops
/// in double precision. It processes the whole sequence at once with a causal mask and no cache, and is meant only
/// for checking another implementation's logits on tiny models. Not covered: rope scaling (only the default rope
/// type) and Mistral's sliding window, which changes nothing for sequences shorter than the window.
/// </summary>
internal static class NaiveForward
{
    /// <summary>Llama-family forward pass; returns logits [tokens.Length, vocab] for every position.</summary>
    public static float[,] Llama(IReadOnlyDictionary<string, NaiveTensor> w, LlamaShape cfg, int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(tokens);
        if (cfg.HeadDim <= 0 || cfg.HeadDim % 2 != 0 || cfg.KvHeads <= 0 || cfg.Heads % cfg.KvHeads != 0)
        {
            throw new ArgumentException("HeadDim must be positive and even, and Heads a multiple of KvHeads.", nameof(cfg));
        }

        var hidden = cfg.HiddenSize;
        var qDim = cfg.Heads * cfg.HeadDim;
        var kvDim = cfg.KvHeads * cfg.HeadDim;
        var embed = Get(w, "model.embed_tokens.weight", cfg.Vocab, hidden);
        var x = tokens.Select(t => Row(embed, CheckToken(t, cfg.Vocab))).ToArray();

        for (var i = 0; i < cfg.Layers; i++)
        {
            var p = $"model.layers.{i}.";
            var inputNorm = Get(w, p + "input_layernorm.weight", hidden);
            var wq = Get(w, p + "self_attn.q_proj.weight", qDim, hidden);
            var wk = Get(w, p + "self_attn.k_proj.weight", kvDim, hidden);
            var wv = Get(w, p + "self_attn.v_proj.weight", kvDim, hidden);
            var wo = Get(w, p + "self_attn.o_proj.weight", hidden, qDim);
            var bq = cfg.AttentionBias ? Get(w, p + "self_attn.q_proj.bias", qDim) : null;
            var bk = cfg.AttentionBias ? Get(w, p + "self_attn.k_proj.bias", kvDim) : null;
            var bv = cfg.AttentionBias ? Get(w, p + "self_attn.v_proj.bias", kvDim) : null;
            var postNorm = Get(w, p + "post_attention_layernorm.weight", hidden);
            var gate = Get(w, p + "mlp.gate_proj.weight", cfg.Intermediate, hidden);
            var up = Get(w, p + "mlp.up_proj.weight", cfg.Intermediate, hidden);
            var down = Get(w, p + "mlp.down_proj.weight", hidden, cfg.Intermediate);

            // Self-attention block: x = x + o_proj(attention(rope(q), rope(k), v)) over rms_norm(x).
            var h = x.Select(r => RmsNorm(r, inputNorm, cfg.RmsNormEps)).ToArray();
            var q = h.Select(r => Linear(r, wq, bq)).ToArray();
            var k = h.Select(r => Linear(r, wk, bk)).ToArray();
            var v = h.Select(r => Linear(r, wv, bv)).ToArray();
            for (var t = 0; t < tokens.Length; t++)
            {
                Rope(q[t], cfg.Heads, cfg.HeadDim, t, cfg.RopeTheta);
                Rope(k[t], cfg.KvHeads, cfg.HeadDim, t, cfg.RopeTheta);
            }

            var attention = Attention(q, k, v, cfg.Heads, cfg.KvHeads, cfg.HeadDim);
            AddInPlace(x, attention.Select(r => Linear(r, wo, null)).ToArray());

            // MLP block: x = x + down(silu(gate(h)) * up(h)) over rms_norm(x).
            h = x.Select(r => RmsNorm(r, postNorm, cfg.RmsNormEps)).ToArray();
            AddInPlace(x, h.Select(r =>
            {
                var g = Linear(r, gate, null);
                var u = Linear(r, up, null);
                return Linear(g.Select((z, j) => z / (1 + Math.Exp(-z)) * u[j]).ToArray(), down, null);
            }).ToArray());
        }

        var finalNorm = Get(w, "model.norm.weight", hidden);
        var head = cfg.TieWordEmbeddings ? embed : Get(w, "lm_head.weight", cfg.Vocab, hidden);
        return Logits(x.Select(r => RmsNorm(r, finalNorm, cfg.RmsNormEps)).ToArray(), head);
    }

    /// <summary>GPT-2 forward pass; returns logits [tokens.Length, vocab] for every position.</summary>
    public static float[,] Gpt2(IReadOnlyDictionary<string, NaiveTensor> w, Gpt2Shape cfg, int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(tokens);
        if (cfg.Heads <= 0 || cfg.Embd % cfg.Heads != 0)
        {
            throw new ArgumentException("Embd must be a multiple of Heads.", nameof(cfg));
        }

        if (tokens.Length > cfg.Positions)
        {
            throw new ArgumentException($"{tokens.Length} tokens exceed the {cfg.Positions} positions.", nameof(tokens));
        }

        // The original "gpt2" checkpoints have no prefix; GPT2LMHeadModel.save_pretrained writes "transformer.".
        var pre = w.ContainsKey("wte.weight") ? string.Empty : "transformer.";
        var e = cfg.Embd;
        var wte = Get(w, pre + "wte.weight", cfg.Vocab, e);
        var wpe = Get(w, pre + "wpe.weight", cfg.Positions, e);
        var x = tokens.Select((t, p) =>
        {
            var position = Row(wpe, p);
            return Row(wte, CheckToken(t, cfg.Vocab)).Select((z, j) => z + position[j]).ToArray();
        }).ToArray();

        for (var i = 0; i < cfg.Layers; i++)
        {
            var p = $"{pre}h.{i}.";
            var ln1W = Get(w, p + "ln_1.weight", e);
            var ln1B = Get(w, p + "ln_1.bias", e);
            var attnW = Get(w, p + "attn.c_attn.weight", e, 3 * e);
            var attnB = Get(w, p + "attn.c_attn.bias", 3 * e);
            var projW = Get(w, p + "attn.c_proj.weight", e, e);
            var projB = Get(w, p + "attn.c_proj.bias", e);
            var ln2W = Get(w, p + "ln_2.weight", e);
            var ln2B = Get(w, p + "ln_2.bias", e);
            var fcW = Get(w, p + "mlp.c_fc.weight", e, 4 * e);
            var fcB = Get(w, p + "mlp.c_fc.bias", 4 * e);
            var mlpProjW = Get(w, p + "mlp.c_proj.weight", 4 * e, e);
            var mlpProjB = Get(w, p + "mlp.c_proj.bias", e);

            // Attention block: c_attn's output is [q | k | v], each Embd wide, heads contiguous within each.
            var qkv = x.Select(r => Conv1D(LayerNorm(r, ln1W, ln1B, cfg.LayerNormEps), attnW, attnB)).ToArray();
            var q = qkv.Select(r => r[..e]).ToArray();
            var k = qkv.Select(r => r[e..(2 * e)]).ToArray();
            var v = qkv.Select(r => r[(2 * e)..]).ToArray();
            var attention = Attention(q, k, v, cfg.Heads, cfg.Heads, e / cfg.Heads);
            AddInPlace(x, attention.Select(r => Conv1D(r, projW, projB)).ToArray());

            // MLP block with "gelu_new".
            AddInPlace(x, x.Select(r =>
            {
                var fc = Conv1D(LayerNorm(r, ln2W, ln2B, cfg.LayerNormEps), fcW, fcB);
                return Conv1D(fc.Select(GeluNew).ToArray(), mlpProjW, mlpProjB);
            }).ToArray());
        }

        var lnFW = Get(w, pre + "ln_f.weight", e);
        var lnFB = Get(w, pre + "ln_f.bias", e);
        return Logits(x.Select(r => LayerNorm(r, lnFW, lnFB, cfg.LayerNormEps)).ToArray(), wte);
    }

    private static NaiveTensor Get(IReadOnlyDictionary<string, NaiveTensor> w, string name, params int[] shape)
    {
        if (!w.TryGetValue(name, out var tensor))
        {
            throw new ArgumentException($"Missing tensor '{name}'.", nameof(w));
        }

        if (!tensor.Shape.SequenceEqual(shape) || tensor.Data.Length != shape.Aggregate(1, (a, b) => a * b))
        {
            throw new ArgumentException(
                $"Tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}] and {tensor.Data.Length} values; " +
                $"expected [{string.Join(", ", shape)}].", nameof(w));
        }

        return tensor;
    }

    private static int CheckToken(int token, int vocab) =>
        token >= 0 && token < vocab ? token : throw new ArgumentOutOfRangeException(nameof(token), token, $"Token id outside [0, {vocab}).");

    private static double[] Row(NaiveTensor matrix, int row)
    {
        var cols = matrix.Shape[1];
        return Enumerable.Range(0, cols).Select(c => (double)matrix.Data[(row * cols) + c]).ToArray();
    }

    /// <summary>torch.nn.Linear: y = x W^T + b with W stored [out, in].</summary>
    private static double[] Linear(double[] x, NaiveTensor weight, NaiveTensor? bias)
    {
        var outputs = weight.Shape[0];
        var inputs = weight.Shape[1];
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var sum = bias is null ? 0.0 : bias.Data[o];
            for (var i = 0; i < inputs; i++)
            {
                sum += x[i] * weight.Data[(o * inputs) + i];
            }

            y[o] = sum;
        }

        return y;
    }

    /// <summary>GPT-2's Conv1D: y = x W + b with W stored [in, out].</summary>
    private static double[] Conv1D(double[] x, NaiveTensor weight, NaiveTensor bias)
    {
        var inputs = weight.Shape[0];
        var outputs = weight.Shape[1];
        var y = bias.Data.Select(b => (double)b).ToArray();
        for (var i = 0; i < inputs; i++)
        {
            for (var o = 0; o < outputs; o++)
            {
                y[o] += x[i] * weight.Data[(i * outputs) + o];
            }
        }

        return y;
    }

    private static double[] RmsNorm(double[] x, NaiveTensor weight, double eps)
    {
        var scale = 1.0 / Math.Sqrt(x.Select(z => z * z).Average() + eps);
        return x.Select((z, j) => z * scale * weight.Data[j]).ToArray();
    }

    private static double[] LayerNorm(double[] x, NaiveTensor weight, NaiveTensor bias, double eps)
    {
        var mean = x.Average();
        var variance = x.Select(z => (z - mean) * (z - mean)).Average();
        var scale = 1.0 / Math.Sqrt(variance + eps);
        return x.Select((z, j) => ((z - mean) * scale * weight.Data[j]) + bias.Data[j]).ToArray();
    }

    private static double GeluNew(double x) =>
        0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x))));

    /// <summary>Rotates each head of x in place by position's angles, HF "rotate_half" (non-interleaved) style.</summary>
    private static void Rope(double[] x, int heads, int headDim, int position, double theta)
    {
        var half = headDim / 2;
        for (var h = 0; h < heads; h++)
        {
            for (var j = 0; j < half; j++)
            {
                var angle = position / Math.Pow(theta, 2.0 * j / headDim);
                var (sin, cos) = Math.SinCos(angle);
                var lo = (h * headDim) + j;
                var hi = lo + half;
                var (a, b) = (x[lo], x[hi]);
                x[lo] = (a * cos) - (b * sin);
                x[hi] = (b * cos) + (a * sin);
            }
        }
    }

    /// <summary>Causal scaled dot-product attention; query head h reads kv head h / (heads / kvHeads).</summary>
    private static double[][] Attention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int headDim)
    {
        var group = heads / kvHeads;
        var scale = 1.0 / Math.Sqrt(headDim);
        var output = new double[q.Length][];
        for (var t = 0; t < q.Length; t++)
        {
            output[t] = new double[heads * headDim];
            for (var h = 0; h < heads; h++)
            {
                var qo = h * headDim;
                var ko = h / group * headDim;
                var scores = new double[t + 1];
                for (var s = 0; s <= t; s++)
                {
                    for (var d = 0; d < headDim; d++)
                    {
                        scores[s] += q[t][qo + d] * k[s][ko + d];
                    }

                    scores[s] *= scale;
                }

                var max = scores.Max();
                var exps = scores.Select(z => Math.Exp(z - max)).ToArray();
                var total = exps.Sum();
                for (var s = 0; s <= t; s++)
                {
                    for (var d = 0; d < headDim; d++)
                    {
                        output[t][qo + d] += exps[s] / total * v[s][ko + d];
                    }
                }
            }
        }

        return output;
    }

    private static void AddInPlace(double[][] x, double[][] delta)
    {
        for (var t = 0; t < x.Length; t++)
        {
            for (var j = 0; j < x[t].Length; j++)
            {
                x[t][j] += delta[t][j];
            }
        }
    }

    private static float[,] Logits(double[][] hidden, NaiveTensor head)
    {
        var logits = new float[hidden.Length, head.Shape[0]];
        for (var t = 0; t < hidden.Length; t++)
        {
            var row = Linear(hidden[t], head, null);
            for (var c = 0; c < row.Length; c++)
            {
                logits[t, c] = (float)row[c];
            }
        }

        return logits;
    }
}
