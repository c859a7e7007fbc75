using CsCheck;

namespace Ipw.Tests;

/// <summary>
/// Inputs no producer should write, made from good ones: a corpus entry mutated 1 to <c>maxEdits</c> times (a bit
/// flipped, a special byte inserted, a slice cut, the rest cut off, a slice repeated). CsCheck shrinks a failing input
/// towards fewer, smaller edits. Shared by the parser and reader mutation tests.
/// </summary>
public static class Mutations
{
    public static Gen<byte[]> Of(byte[][] corpus, byte[] specials, int maxEdits = 8) =>
        from seed in Gen.Int[0, corpus.Length - 1]
        from edits in Gen.Select(Gen.Int[0, 4], Gen.Int, Gen.Int[0, specials.Length - 1]).Array[1, maxEdits]
        select Apply(corpus[seed], edits, specials);

    private static byte[] Apply(byte[] input, (int Kind, int At, int Special)[] edits, byte[] specials)
    {
        var bytes = input.ToList();
        foreach (var (kind, at, special) in edits)
        {
            if (bytes.Count == 0) break;
            var i = (int)((uint)at % (uint)bytes.Count);
            switch (kind)
            {
                case 0: bytes[i] ^= (byte)(1 << (at & 7)); break;
                case 1: bytes.Insert(i, specials[special]); break;
                case 2: bytes.RemoveRange(i, Math.Min(bytes.Count - i, 1 + (at & 15))); break;
                case 3: bytes.RemoveRange(i, bytes.Count - i); break;
                default: bytes.InsertRange(i, bytes.GetRange(i, Math.Min(bytes.Count - i, 1 + (at & 63)))); break;
            }
        }
        return [.. bytes];
    }
}
