using System.Buffers.Binary;
using System.Text.Json;

namespace Ipw.Abstractions.Models;

/// <summary>
/// Reads and checks a safetensors file's header: an 8-byte little-endian length, then that many bytes of JSON naming each
/// tensor's dtype, shape and <c>data_offsets</c> into the data that follows. Every tensor must lie inside the data, its
/// size the shape's elements times the dtype's width (for the dtypes this reader knows). The header is JSON, read with
/// System.Text.Json; the layout rules are the format's own (at most 100 MB of header, offsets from the data's start).
/// </summary>
public static class SafetensorsFile
{
    private const long MaxHeader = 100_000_000;

    /// <summary>Bits per element of the dtypes this reader knows.</summary>
    private static readonly Dictionary<string, int> Bits = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8,
        ["U8"] = 8,
        ["I8"] = 8,
        ["F8_E5M2"] = 8,
        ["F8_E4M3"] = 8,
        ["F8_E8M0"] = 8,
        ["I16"] = 16,
        ["U16"] = 16,
        ["F16"] = 16,
        ["BF16"] = 16,
        ["I32"] = 32,
        ["U32"] = 32,
        ["F32"] = 32,
        ["I64"] = 64,
        ["U64"] = 64,
        ["F64"] = 64,
        ["F4"] = 4,
        ["F6_E2M3"] = 6,
        ["F6_E3M2"] = 6,
    };

    /// <summary>Reads <paramref name="path"/>'s header.</summary>
    /// <exception cref="ModelFileException">The file is not a safetensors file this reader can vouch for.</exception>
    public static ModelFileInfo Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        return Read(stream);
    }

    /// <summary>Reads the header of the safetensors file in <paramref name="stream"/> (seekable: its length bounds the header).</summary>
    /// <exception cref="ModelFileException">The file is not a safetensors file this reader can vouch for.</exception>
    public static ModelFileInfo Read(Stream stream)
    {
        var length = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new ModelFileException("not a safetensors file (shorter than its 8-byte header length)");
        var n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n < 2 || n > MaxHeader || n > (ulong)(length - 8))
            throw new ModelFileException($"not a safetensors file: its header length {n} does not fit the file's {length} bytes");
        var header = new byte[n];
        stream.ReadExactly(header);
        var dataStart = 8 + (long)n;
        var dataLength = length - dataStart;

        if (!System.Text.Unicode.Utf8.IsValid(header)) throw new ModelFileException("the header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new ModelFileException($"the header is not JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelFileException("the header is not a JSON object");
            var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
            var tensors = new List<ModelTensor>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) throw new ModelFileException("__metadata__ is not an object");
                    foreach (var m in p.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new ModelFileException($"__metadata__.{m.Name} is not a string");
                    continue;
                }
                tensors.Add(Tensor(p.Name, p.Value, dataStart, dataLength));
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in tensors)
                if (!names.Add(t.Name)) throw new ModelFileException($"tensor '{t.Name}' appears twice");
            return new ModelFileInfo("safetensors", tensors, metadata);
        }
    }

    private static ModelTensor Tensor(string name, JsonElement e, long dataStart, long dataLength)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new ModelFileException($"tensor '{name}' is not an object");
        var dtype = e.TryGetProperty("dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : throw new ModelFileException($"tensor '{name}' has no dtype");
        if (!e.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array) throw new ModelFileException($"tensor '{name}' has no shape");
        var shape = new List<long>(s.GetArrayLength());
        long elements = 1;
        foreach (var dim in s.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var v) || v < 0) throw new ModelFileException($"tensor '{name}' has a shape entry that is not a count: {dim.GetRawText()}");
            if (v != 0 && elements > long.MaxValue / v) throw new ModelFileException($"tensor '{name}' has more elements than a file can hold");
            elements *= v;
            shape.Add(v);
        }
        if (!e.TryGetProperty("data_offsets", out var o) || o.ValueKind != JsonValueKind.Array || o.GetArrayLength() != 2
            || o[0].ValueKind != JsonValueKind.Number || o[1].ValueKind != JsonValueKind.Number
            || !o[0].TryGetInt64(out var begin) || !o[1].TryGetInt64(out var end))
            throw new ModelFileException($"tensor '{name}' has no data_offsets [begin, end]");
        if (begin < 0 || end < begin || end > dataLength)
            throw new ModelFileException($"tensor '{name}' lies at [{begin}, {end}), outside the file's {dataLength} bytes of data (truncated?)");
        if (Bits.TryGetValue(dtype, out var bits) && (elements > long.MaxValue / bits || (elements * bits + 7) / 8 != end - begin))
            throw new ModelFileException($"tensor '{name}' is {dtype} of shape [{string.Join(", ", shape)}] but has {end - begin} bytes");
        return new ModelTensor(name, dtype, shape, dataStart + begin, end - begin);
    }
}
