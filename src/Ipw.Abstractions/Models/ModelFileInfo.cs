namespace Ipw.Abstractions.Models;

/// <summary>
/// A model file's header, read and checked before an engine maps the file (<see cref="GgufFile"/>,
/// <see cref="SafetensorsFile"/>): the tensors with where their bytes lie, and the header's scalar metadata. An engine
/// plugin reads it first, so a truncated or corrupt file is refused with one line rather than handed to native code;
/// the host reads it to count a model's parameters.
/// </summary>
/// <param name="Format"><c>gguf</c> or <c>safetensors</c>.</param>
/// <param name="Tensors">The tensors, in the header's order.</param>
/// <param name="Metadata">The header's scalar values by key (GGUF key/values, safetensors <c>__metadata__</c>): strings,
/// integers as <see cref="long"/> or <see cref="ulong"/>, floats as <see cref="double"/>, booleans. Arrays (a GGUF
/// vocabulary) are checked and left out.</param>
public sealed record ModelFileInfo(string Format, IReadOnlyList<ModelTensor> Tensors, IReadOnlyDictionary<string, object> Metadata)
{
    /// <summary>The model's parameters: every tensor's elements added up.</summary>
    public long Parameters => Tensors.Sum(t => t.Elements);

    /// <summary>The GGUF <c>general.architecture</c> (<c>llama</c>, <c>qwen2</c>, ...); null when the header does not say.</summary>
    public string? Architecture => Metadata.GetValueOrDefault("general.architecture") as string;
}

/// <summary>One tensor of a model file.</summary>
/// <param name="Name">Its name in the file.</param>
/// <param name="Shape">Its dimensions as the file lists them (GGUF: the contiguous one first).</param>
/// <param name="Type">The element type as the format names it (GGUF: <c>F16</c>, <c>Q4_K</c>, ...; safetensors: <c>BF16</c>, ...),
/// or <c>type N</c> for a GGUF type this reader does not know.</param>
/// <param name="Offset">Where its bytes start, from the start of the file.</param>
/// <param name="Bytes">Its size in bytes; null for a type whose size this reader does not know.</param>
public sealed record ModelTensor(string Name, string Type, IReadOnlyList<long> Shape, long Offset, long? Bytes)
{
    /// <summary>Its elements: the shape's product (1 for a scalar).</summary>
    public long Elements => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>A model file that is not what its format says: truncated, corrupt, or naming bytes it does not have. The
/// message says what, in one line.</summary>
public sealed class ModelFileException(string message) : Exception(message);
