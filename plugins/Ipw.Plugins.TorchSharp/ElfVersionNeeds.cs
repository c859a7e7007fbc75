using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Ipw.Abstractions;

namespace Ipw.Plugins.TorchSharp;

/// <summary>Reads and edits the version needs of an ELF64 little-endian shared library (x86-64 / aarch64).</summary>
public static class ElfVersionNeeds
{
    private const uint ShtRela = 4;
    private const uint ShtRel = 9;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;
    private const int SymSize = 24;

    /// <summary>
    /// One needed version: the library it is needed from (vn_file), the version name (vna_name), whether it is already weak,
    /// how many dynamic relocations refer to a symbol of this version, and the names of all .dynsym symbols of this version.
    /// </summary>
    public sealed record Need(string File, string Version, bool Weak, int RelocatedSymbols, IReadOnlyList<string> Symbols);

    private sealed record Entry(Need Need, int FlagsOffset, IReadOnlyList<string> RelocatedNames);

    private readonly record struct Section(uint Type, ulong Offset, ulong Size, uint Link);

    /// <summary>Lists the version needs (.gnu.version_r) of the ELF file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a little-endian ELF64 file with the needed sections, or is malformed.</exception>
    public static IReadOnlyList<Need> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(path, File.ReadAllBytes(path)).Select(e => e.Need).ToList();
    }

    /// <summary>
    /// Writes a copy of <paramref name="source"/> to <paramref name="destination"/> (atomically, via a ".tmp" file) in which every
    /// needed version named in <paramref name="versions"/> is marked VER_FLG_WEAK, so the loader tolerates its absence.
    /// Returns the versions marked.
    /// </summary>
    /// <exception cref="InvalidOperationException">A version is not needed by the file, or a relocation refers to a symbol of it.</exception>
    public static IReadOnlyList<string> WriteWeakCopy(string source, string destination, IReadOnlyCollection<string> versions)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        ArgumentNullException.ThrowIfNull(versions);
        var data = File.ReadAllBytes(source);
        var entries = Parse(source, data);
        var marked = new List<string>();
        foreach (var version in versions.Distinct(StringComparer.Ordinal))
        {
            var matches = entries.Where(e => e.Need.Version == version).ToList();
            if (matches.Count == 0)
            {
                var needed = string.Join(", ", entries.Select(e => e.Need.Version).Distinct(StringComparer.Ordinal));
                throw new InvalidOperationException($"{source} does not need version {version} (it needs: {needed}).");
            }
            var relocated = matches.Where(e => e.Need.RelocatedSymbols > 0).ToList();
            if (relocated.Count > 0)
            {
                var count = relocated.Sum(e => e.Need.RelocatedSymbols);
                var names = string.Join(", ", relocated.SelectMany(e => e.RelocatedNames).Distinct(StringComparer.Ordinal).Take(3));
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: cannot mark version {version} weak, {count} relocation(s) use its symbols (e.g. {names})."));
            }
            foreach (var entry in matches)
            {
                var flags = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(entry.FlagsOffset));
                BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(entry.FlagsOffset), (ushort)(flags | VerFlgWeak));
            }
            marked.Add(version);
        }
        AtomicFile.WriteAllBytes(destination, data);
        return marked;
    }

    private static List<Entry> Parse(string path, byte[] data)
    {
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
        {
            throw new InvalidDataException($"{path}: not an ELF file.");
        }
        if (data[4] != 2)
        {
            throw new InvalidDataException($"{path}: not a 64-bit (ELFCLASS64) ELF file.");
        }
        if (data[5] != 1)
        {
            throw new InvalidDataException($"{path}: not a little-endian ELF file.");
        }
        var shoff = U64(data, 0x28);
        var shentsize = U16(data, 0x3a);
        var shnum = U16(data, 0x3c);
        if (shoff == 0 || shnum == 0 || shentsize < 64)
        {
            throw new InvalidDataException($"{path}: has no usable section headers.");
        }
        var sections = new Section[shnum];
        for (var i = 0; i < shnum; i++)
        {
            var at = Range(path, data, shoff + (ulong)i * shentsize, 64, "section header");
            sections[i] = new Section(U32(data, at + 4), U64(data, at + 24), U64(data, at + 32), U32(data, at + 40));
        }
        var dynsymIndex = Array.FindIndex(sections, s => s.Type == ShtDynsym);
        var verneedIndex = Array.FindIndex(sections, s => s.Type == ShtGnuVerneed);
        var versymIndex = Array.FindIndex(sections, s => s.Type == ShtGnuVersym);
        if (dynsymIndex < 0)
        {
            throw new InvalidDataException($"{path}: has no .dynsym section (not a shared library?).");
        }
        if (verneedIndex < 0)
        {
            return [];
        }
        if (versymIndex < 0)
        {
            throw new InvalidDataException($"{path}: has a .gnu.version_r section but no .gnu.version section.");
        }

        // Symbols: name and version index (versym & 0x7fff) of every .dynsym entry.
        var dynsym = sections[dynsymIndex];
        var symStart = Range(path, data, dynsym.Offset, dynsym.Size, ".dynsym");
        var symStrings = LinkedSection(path, data, sections, dynsym.Link, ".dynsym string table");
        var symCount = (int)(dynsym.Size / SymSize);
        var versym = sections[versymIndex];
        var versymStart = Range(path, data, versym.Offset, versym.Size, ".gnu.version");
        var symNames = new string[symCount];
        var symVersions = new int[symCount];
        var symbolsByVersion = new Dictionary<int, List<string>>();
        for (var i = 0; i < symCount; i++)
        {
            symNames[i] = ReadString(path, data, symStrings, U32(data, symStart + i * SymSize), "symbol name");
            symVersions[i] = U16(data, Within(path, versymStart, versym.Size, (ulong)i * 2, 2, ".gnu.version entry")) & 0x7fff;
            if (i > 0 && symVersions[i] > 1)
            {
                GetList(symbolsByVersion, symVersions[i]).Add(symNames[i]);
            }
        }

        // Dynamic relocations (every relocation section linked to .dynsym): count those per version index.
        var relocationCounts = new Dictionary<int, int>();
        var relocatedByVersion = new Dictionary<int, List<string>>();
        foreach (var section in sections.Where(s => (s.Type == ShtRela || s.Type == ShtRel) && s.Link == dynsymIndex))
        {
            var entrySize = section.Type == ShtRela ? 24UL : 16UL;
            var start = Range(path, data, section.Offset, section.Size, "relocation section");
            for (var offset = 0UL; offset + entrySize <= section.Size; offset += entrySize)
            {
                var symbol = U64(data, start + (int)offset + 8) >> 32;
                if (symbol == 0)
                {
                    continue;
                }
                if (symbol >= (ulong)symCount)
                {
                    throw new InvalidDataException($"{path}: relocation symbol index is out of bounds.");
                }
                var version = symVersions[(int)symbol];
                relocationCounts[version] = relocationCounts.GetValueOrDefault(version) + 1;
                var names = GetList(relocatedByVersion, version);
                if (!names.Contains(symNames[(int)symbol]))
                {
                    names.Add(symNames[(int)symbol]);
                }
            }
        }

        // The Verneed chain (ends at vn_next == 0), each with its chain of Vernaux entries.
        var verneed = sections[verneedIndex];
        var needStart = Range(path, data, verneed.Offset, verneed.Size, ".gnu.version_r");
        var needStrings = LinkedSection(path, data, sections, verneed.Link, ".gnu.version_r string table");
        var entries = new List<Entry>();
        var needOffset = 0UL;
        while (true)
        {
            var at = Within(path, needStart, verneed.Size, needOffset, 16, "Verneed entry");
            var file = ReadString(path, data, needStrings, U32(data, at + 4), "vn_file");
            var auxOffset = needOffset + U32(data, at + 8);
            for (var k = 0; k < U16(data, at + 2); k++)
            {
                var aux = Within(path, needStart, verneed.Size, auxOffset, 16, "Vernaux entry");
                var index = U16(data, aux + 6) & 0x7fff;
                var name = ReadString(path, data, needStrings, U32(data, aux + 8), "vna_name");
                var weak = (U16(data, aux + 4) & VerFlgWeak) != 0;
                var need = new Need(file, name, weak, relocationCounts.GetValueOrDefault(index), GetList(symbolsByVersion, index));
                entries.Add(new Entry(need, aux + 4, GetList(relocatedByVersion, index)));
                auxOffset += U32(data, aux + 12);
            }
            var next = U32(data, at + 12);
            if (next == 0)
            {
                return entries;
            }
            needOffset += next;
        }
    }

    private static List<string> GetList(Dictionary<int, List<string>> lists, int key)
    {
        if (!lists.TryGetValue(key, out var list))
        {
            list = [];
            lists[key] = list;
        }
        return list;
    }

    private static (int Start, ulong Size) LinkedSection(string path, byte[] data, Section[] sections, uint link, string what)
    {
        if (link == 0 || link >= sections.Length)
        {
            throw new InvalidDataException($"{path}: {what} is out of bounds.");
        }
        return (Range(path, data, sections[link].Offset, sections[link].Size, what), sections[link].Size);
    }

    private static int Range(string path, byte[] data, ulong offset, ulong size, string what)
    {
        if (offset > (ulong)data.Length || size > (ulong)data.Length - offset)
        {
            throw new InvalidDataException($"{path}: {what} is out of bounds.");
        }
        return (int)offset;
    }

    private static int Within(string path, int start, ulong sectionSize, ulong offset, ulong size, string what)
    {
        if (offset > sectionSize || size > sectionSize - offset)
        {
            throw new InvalidDataException($"{path}: {what} is out of bounds.");
        }
        return start + (int)offset;
    }

    private static string ReadString(string path, byte[] data, (int Start, ulong Size) table, uint offset, string what)
    {
        if (offset >= table.Size)
        {
            throw new InvalidDataException($"{path}: {what} is out of bounds.");
        }
        var span = data.AsSpan(table.Start + (int)offset, (int)(table.Size - offset));
        var end = span.IndexOf((byte)0);
        if (end < 0)
        {
            throw new InvalidDataException($"{path}: {what} is out of bounds.");
        }
        return Encoding.UTF8.GetString(span[..end]);
    }

    private static ushort U16(byte[] data, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(offset));

    private static uint U32(byte[] data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));

    private static ulong U64(byte[] data, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(offset));
}
