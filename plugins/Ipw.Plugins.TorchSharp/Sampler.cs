using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp;

/// <summary>Picks the next token from float32 logits [vocab]: greedy at temperature 0, else temperature and nucleus (top-p)
/// sampling with a seeded generator.</summary>
internal sealed class Sampler : IDisposable
{
    private readonly double _temperature;
    private readonly double _topP;
    private readonly Generator? _generator;

    public Sampler(double temperature, double topP, ulong seed, Device device)
    {
        if (topP is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(topP), $"top_p must be in (0, 1], got {topP}");
        _temperature = temperature;
        _topP = topP;
        if (temperature > 0) _generator = new Generator(seed, device);
    }

    public long Sample(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (_generator is null) return logits.argmax().item<long>();
        var probs = (logits / _temperature).softmax(-1);
        if (_topP >= 1) return multinomial(probs, 1, false, _generator).item<long>();
        var (sorted, order) = probs.sort(-1, true);
        // Keep the smallest prefix whose mass reaches top_p (the first token always stays).
        var before = sorted.cumsum(-1) - sorted;
        var kept = sorted.masked_fill(before.gt(_topP), 0);
        var pick = multinomial(kept / kept.sum(), 1, false, _generator);
        return order[pick].item<long>();
    }

    public void Dispose() => _generator?.Dispose();
}
