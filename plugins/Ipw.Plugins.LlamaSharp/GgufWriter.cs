using System.Buffers.Binary;
using System.Text;

namespace Ipw.Plugins.LlamaSharp;

/// <summary>
/// Writes GGUF v3 files: header, typed key/values, tensor infos, then aligned tensor data.
/// Written by hand because no maintained .NET GGUF writer exists; the format is small and fixed.
/// </summary>
public sealed class GgufWriter
{
    private enum ValueType : uint
    {
        UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9,
    }

    private const uint GgmlTypeF32 = 0;
    private readonly List<(string Key, Action<BinaryWriter> Write)> _kvs = [];
    private readonly List<(string Name, ulong[] Dims, float[] Data)> _tensors = [];

    /// <summary>Alignment of tensor data, also written as <c>general.alignment</c>.</summary>
    public uint Alignment { get; } = 32;

    public GgufWriter() => AddUInt32("general.alignment", Alignment);

    public void AddUInt32(string key, uint value) =>
        _kvs.Add((key, w => { w.Write((uint)ValueType.UInt32); w.Write(value); }
    ));

    public void AddFloat32(string key, float value) =>
        _kvs.Add((key, w => { w.Write((uint)ValueType.Float32); w.Write(value); }
    ));

    public void AddBool(string key, bool value) =>
        _kvs.Add((key, w => { w.Write((uint)ValueType.Bool); w.Write((byte)(value ? 1 : 0)); }
    ));

    public void AddString(string key, string value) =>
        _kvs.Add((key, w => { w.Write((uint)ValueType.String); WriteString(w, value); }
    ));

    public void AddStringArray(string key, IReadOnlyList<string> values) =>
        _kvs.Add((key, w =>
        {
            w.Write((uint)ValueType.Array);
            w.Write((uint)ValueType.String);
            w.Write((ulong)values.Count);
            foreach (var v in values) WriteString(w, v);
        }
    ));

    public void AddInt32Array(string key, IReadOnlyList<int> values) =>
        _kvs.Add((key, w =>
        {
            w.Write((uint)ValueType.Array);
            w.Write((uint)ValueType.Int32);
            w.Write((ulong)values.Count);
            foreach (var v in values) w.Write(v);
        }
    ));

    /// <summary>Adds an F32 tensor; <paramref name="dims"/> are in GGML order (ne0, the contiguous one, first).</summary>
    public void AddTensor(string name, float[] data, params ulong[] dims)
    {
        ulong count = 1;
        foreach (var d in dims) count *= d;
        if (count != (ulong)data.Length)
            throw new ArgumentException($"tensor {name}: {data.Length} values for dims [{string.Join(", ", dims)}]");
        _tensors.Add((name, dims, data));
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_kvs.Count);
        foreach (var (key, write) in _kvs)
        {
            WriteString(w, key);
            write(w);
        }

        ulong offset = 0;
        foreach (var (name, dims, data) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write(d);
            w.Write(GgmlTypeF32);
            w.Write(offset);
            offset = Align(offset + (ulong)data.Length * sizeof(float));
        }

        Pad(w);
        var bytes = new byte[4096];
        foreach (var (_, _, data) in _tensors)
        {
            for (var i = 0; i < data.Length; i += bytes.Length / 4)
            {
                var n = Math.Min(bytes.Length / 4, data.Length - i);
                for (var j = 0; j < n; j++)
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * 4), data[i + j]);
                w.Write(bytes, 0, n * 4);
            }
            Pad(w);
        }
    }

    private ulong Align(ulong value) => (value + Alignment - 1) / Alignment * Alignment;

    private void Pad(BinaryWriter w)
    {
        w.Flush();
        var position = (ulong)w.BaseStream.Position;
        for (var p = position; p < Align(position); p++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
