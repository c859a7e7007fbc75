using System.Buffers.Binary;
using System.Text;

namespace Ipw.Abstractions.Models;

/// <summary>
/// Reads and checks a GGUF file's header (versions 2 and 3, little-endian): the key/values, the tensor infos, and that
/// every tensor's bytes lie inside the file at the alignment the header gives. Nothing is allocated from a count the file
/// claims before the bytes behind it are known to be there. Written here because no maintained .NET GGUF reader exists;
/// the element sizes are ggml's (block size, bytes per block).
/// </summary>
public static class GgufFile
{
    private const int MaxDims = 4;
    private const uint DefaultAlignment = 32;
    private const int MaxDepth = 2;

    /// <summary>ggml's element types this reader knows: name, elements per block, bytes per block.</summary>
    private static readonly Dictionary<uint, (string Name, int Block, int Bytes)> Types = new()
    {
        [0] = ("F32", 1, 4),
        [1] = ("F16", 1, 2),
        [2] = ("Q4_0", 32, 18),
        [3] = ("Q4_1", 32, 20),
        [6] = ("Q5_0", 32, 22),
        [7] = ("Q5_1", 32, 24),
        [8] = ("Q8_0", 32, 34),
        [9] = ("Q8_1", 32, 40),
        [10] = ("Q2_K", 256, 84),
        [11] = ("Q3_K", 256, 110),
        [12] = ("Q4_K", 256, 144),
        [13] = ("Q5_K", 256, 176),
        [14] = ("Q6_K", 256, 210),
        [15] = ("Q8_K", 256, 292),
        [16] = ("IQ2_XXS", 256, 66),
        [17] = ("IQ2_XS", 256, 74),
        [18] = ("IQ3_XXS", 256, 98),
        [19] = ("IQ1_S", 256, 50),
        [20] = ("IQ4_NL", 32, 18),
        [21] = ("IQ3_S", 256, 110),
        [22] = ("IQ2_S", 256, 82),
        [23] = ("IQ4_XS", 256, 136),
        [24] = ("I8", 1, 1),
        [25] = ("I16", 1, 2),
        [26] = ("I32", 1, 4),
        [27] = ("I64", 1, 8),
        [28] = ("F64", 1, 8),
        [29] = ("IQ1_M", 256, 56),
        [30] = ("BF16", 1, 2),
        [34] = ("TQ1_0", 256, 54),
        [35] = ("TQ2_0", 256, 66),
        [39] = ("MXFP4", 32, 17),
    };

    /// <summary>Reads <paramref name="path"/>'s header.</summary>
    /// <exception cref="ModelFileException">The file is not a GGUF file this reader can vouch for.</exception>
    public static ModelFileInfo Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        return Read(stream);
    }

    /// <summary>Reads the header of the GGUF file in <paramref name="stream"/> (seekable: its length bounds every count).</summary>
    /// <exception cref="ModelFileException">The file is not a GGUF file this reader can vouch for.</exception>
    public static ModelFileInfo Read(Stream stream)
    {
        var r = new Cursor(stream);
        if (r.Length < 4 || !r.Bytes(4).AsSpan().SequenceEqual("GGUF"u8)) throw new ModelFileException("not a GGUF file (it does not start with GGUF)");
        var version = r.U32("the version");
        if (version is not (2 or 3)) throw new ModelFileException($"GGUF version {version} is not supported (2 and 3 are)");
        var tensorCount = r.Count("the tensor count", minBytesEach: 8 + 4 + 8 + 4 + 8);
        var kvCount = r.Count("the metadata count", minBytesEach: 8 + 4 + 1);

        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            var key = r.String($"metadata key {i}");
            if (!keys.Add(key)) throw new ModelFileException($"metadata key '{key}' appears twice");
            if (ReadValue(r, r.U32($"the type of '{key}'"), key, depth: 0) is { } value) metadata[key] = value; // an array: checked, not kept
        }
        var alignment = metadata.GetValueOrDefault("general.alignment") switch
        {
            null => DefaultAlignment,
            ulong a when a is > 0 and <= 1 << 20 && (a & (a - 1)) == 0 => (uint)a,
            var a => throw new ModelFileException($"general.alignment is {a}: not a power of two up to 1 MiB"),
        };

        var infos = new List<(string Name, uint Type, long[] Shape, ulong Offset)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
        {
            var name = r.String($"tensor {i}'s name");
            if (!names.Add(name)) throw new ModelFileException($"tensor '{name}' appears twice");
            var dims = r.U32($"tensor '{name}''s dimension count");
            if (dims is 0 or > MaxDims) throw new ModelFileException($"tensor '{name}' has {dims} dimensions (1 to {MaxDims})");
            var shape = new long[dims];
            long elements = 1;
            for (var d = 0; d < dims; d++)
            {
                var n = r.U64($"tensor '{name}''s shape");
                if (n > long.MaxValue) throw new ModelFileException($"tensor '{name}' has a dimension of {n}");
                shape[d] = (long)n;
                if (shape[d] != 0 && elements > long.MaxValue / shape[d]) throw new ModelFileException($"tensor '{name}' has more elements than a file can hold");
                elements *= shape[d];
            }
            infos.Add((name, r.U32($"tensor '{name}''s type"), shape, r.U64($"tensor '{name}''s offset")));
        }

        var dataStart = (r.Position + alignment - 1) / alignment * alignment;
        var tensors = new List<ModelTensor>(infos.Count);
        foreach (var (name, type, shape, offset) in infos)
        {
            if (offset % alignment != 0) throw new ModelFileException($"tensor '{name}' starts at {offset}, not a multiple of the alignment {alignment}");
            // The data starts at the alignment after the header, which may itself be past a truncated file's end.
            if (dataStart > r.Length || offset > (ulong)(r.Length - dataStart)) throw new ModelFileException($"tensor '{name}' starts past the end of the file (truncated?)");
            var start = dataStart + (long)offset;
            long? bytes = null;
            var typeName = $"type {type}";
            if (Types.TryGetValue(type, out var t))
            {
                typeName = t.Name;
                var elements = shape.Aggregate(1L, (a, d) => a * d);
                if (shape[0] % t.Block != 0) throw new ModelFileException($"tensor '{name}' ({t.Name}) has {shape[0]} elements in a row, not a multiple of its block of {t.Block}");
                if (elements / t.Block > (r.Length - start) / t.Bytes) throw new ModelFileException($"tensor '{name}' needs {elements / t.Block * (decimal)t.Bytes} bytes at {start}, past the end of the file ({r.Length} bytes; truncated?)");
                bytes = elements / t.Block * t.Bytes;
            }
            tensors.Add(new ModelTensor(name, typeName, shape, start, bytes));
        }
        return new ModelFileInfo("gguf", tensors, metadata);
    }

    /// <summary>A value of GGUF type <paramref name="type"/>; null for an array, which is checked and skipped.</summary>
    private static object? ReadValue(Cursor r, uint type, string key, int depth) => type switch
    {
        0 => (long)r.Bytes(1, key)[0],
        1 => (long)(sbyte)r.Bytes(1, key)[0],
        2 => (long)BinaryPrimitives.ReadUInt16LittleEndian(r.Bytes(2, key)),
        3 => (long)BinaryPrimitives.ReadInt16LittleEndian(r.Bytes(2, key)),
        4 => (ulong)r.U32(key),
        5 => (long)BinaryPrimitives.ReadInt32LittleEndian(r.Bytes(4, key)),
        6 => (double)BinaryPrimitives.ReadSingleLittleEndian(r.Bytes(4, key)),
        7 => r.Bytes(1, key)[0] switch { 0 => false, 1 => true, var b => throw new ModelFileException($"'{key}' is a boolean of value {b}") },
        8 => r.String(key),
        9 => SkipArray(r, key, depth),
        10 => r.U64(key),
        11 => BinaryPrimitives.ReadInt64LittleEndian(r.Bytes(8, key)),
        12 => BinaryPrimitives.ReadDoubleLittleEndian(r.Bytes(8, key)),
        _ => throw new ModelFileException($"'{key}' has value type {type}, which GGUF does not define"),
    };

    private static object? SkipArray(Cursor r, string key, int depth)
    {
        if (depth >= MaxDepth) throw new ModelFileException($"'{key}' nests arrays more than {MaxDepth} deep");
        var type = r.U32(key);
        int? size = type switch { 0 or 1 or 7 => 1, 2 or 3 => 2, 4 or 5 or 6 => 4, 10 or 11 or 12 => 8, _ => null };
        var count = r.Count(key, minBytesEach: size ?? 1);
        if (size is { } s)
        {
            if (type == 7)
                for (long i = 0; i < count; i++) ReadValue(r, type, key, depth + 1);
            else
                r.Skip(count * s, key);
            return null;
        }
        for (long i = 0; i < count; i++) ReadValue(r, type, key, depth + 1);
        return null;
    }

    /// <summary>Reads forward through the stream, refusing any read past its end.</summary>
    private sealed class Cursor(Stream stream)
    {
        public long Length { get; } = stream.Length;
        public long Position { get; private set; }

        public byte[] Bytes(int n, string what = "the header")
        {
            if (n > Length - Position) throw new ModelFileException($"the file ends inside {what} (truncated?)");
            var buffer = new byte[n];
            stream.ReadExactly(buffer);
            Position += n;
            return buffer;
        }

        public void Skip(long n, string what)
        {
            if (n > Length - Position) throw new ModelFileException($"the file ends inside {what} (truncated?)");
            stream.Seek(n, SeekOrigin.Current);
            Position += n;
        }

        public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

        public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

        /// <summary>A count of things at least <paramref name="minBytesEach"/> bytes each: no more than the rest of the file holds.</summary>
        public long Count(string what, int minBytesEach)
        {
            var n = U64(what);
            if (n > (ulong)((Length - Position) / minBytesEach)) throw new ModelFileException($"{what} is {n}, more than the file's {Length} bytes can hold (corrupt?)");
            return (long)n;
        }

        public string String(string what)
        {
            var n = Count(what, minBytesEach: 1);
            if (n > 16 * 1024 * 1024) throw new ModelFileException($"{what} is a string of {n} bytes");
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes((int)n, what));
            }
            catch (DecoderFallbackException)
            {
                throw new ModelFileException($"{what} is not valid UTF-8");
            }
        }
    }
}
