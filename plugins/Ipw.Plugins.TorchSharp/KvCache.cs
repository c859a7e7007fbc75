using TorchSharp;
using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp;

/// <summary>Keys and values of one sequence, preallocated for its whole length, and the rotary table for its positions.</summary>
internal sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private int _pending;

    public KvCache(int layers, int kvHeads, int headDim, int capacity, Device device, ScalarType dtype)
    {
        Capacity = capacity;
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        for (var i = 0; i < layers; i++)
        {
            _keys[i] = zeros([1, kvHeads, capacity, headDim], dtype, device).DetachFromDisposeScope();
            _values[i] = zeros([1, kvHeads, capacity, headDim], dtype, device).DetachFromDisposeScope();
        }
        Bytes = 2L * layers * kvHeads * capacity * headDim * _keys[0].ElementSize;
    }

    /// <summary>Tokens already in the cache (the position of the next one).</summary>
    public int Length { get; private set; }

    public int Capacity { get; }

    /// <summary>Bytes the cache holds.</summary>
    public long Bytes { get; }

    /// <summary>Writes a layer's new keys and values (shape [1, KV, T, D]) after the cached ones and returns views of all of them.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var t = (int)k.shape[2];
        if (Length + t > Capacity) throw new InvalidOperationException($"the cache holds {Capacity} tokens; {Length + t} were asked for");
        _keys[layer].narrow(2, Length, t).copy_(k);
        _values[layer].narrow(2, Length, t).copy_(v);
        _pending = t;
        return (_keys[layer].narrow(2, 0, Length + t), _values[layer].narrow(2, 0, Length + t));
    }

    /// <summary>Called once a forward pass has appended to every layer: the new tokens count from now on.</summary>
    public void Commit()
    {
        Length += _pending;
        _pending = 0;
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
