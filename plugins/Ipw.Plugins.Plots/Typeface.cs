using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Ipw.Abstractions;

namespace Ipw.Plugins.Plots;

/// <summary>
/// The Inter typeface for every figure, so text renders on a machine without fonts (ScottPlot would otherwise draw
/// none, silently). The font files come from the Avalonia.Fonts.Inter package, whose assembly this plugin embeds as
/// data: its "!AvaloniaResources" manifest resource is an index (format version 2: count, then path, offset and size
/// per file) followed by the files. Read here with System.Reflection.Metadata; no Avalonia code is loaded. The files
/// are written once to the ipw cache (~/.cache/ipw/fonts or $IPW_CACHE_DIR/fonts).
/// </summary>
internal static class Typeface
{
    public const string Family = "Inter";
    private static readonly object Gate = new();
    private static bool _ready;

    /// <summary>Registers Inter with ScottPlot and makes it the default (once per process).</summary>
    /// <exception cref="InvalidOperationException">The embedded font data is missing or not in the expected layout.</exception>
    public static void Ensure()
    {
        lock (Gate)
        {
            if (_ready) return;
            var folder = Path.Combine(IpwCache.Root, "fonts");
            Directory.CreateDirectory(folder);
            var files = Extract();
            foreach (var (name, bold) in new[] { ("Inter-Regular.ttf", false), ("Inter-Bold.ttf", true) })
            {
                var path = Path.Combine(folder, name);
                var bytes = files[name];
                if (!File.Exists(path) || new FileInfo(path).Length != bytes.Length) AtomicFile.WriteAllBytes(path, bytes);
                ScottPlot.Fonts.AddFontFile(Family, path, bold, italic: false);
            }
            ScottPlot.Fonts.Default = Family;
            _ready = true;
        }
    }

    /// <summary>The .ttf files in the embedded assembly, by file name.</summary>
    internal static Dictionary<string, byte[]> Extract()
    {
        using var embedded = typeof(Typeface).Assembly.GetManifestResourceStream("ipw.fonts.inter")
            ?? throw new InvalidOperationException("the embedded Inter font data is missing from this build");
        using var pe = new PEReader(embedded);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (metadata.GetString(resource.Name) != "!AvaloniaResources") continue;
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var section = pe.GetSectionData(directory.RelativeVirtualAddress + (int)resource.Offset);
            var reader = section.GetReader();
            var length = reader.ReadInt32();
            var blob = reader.ReadBytes(length);
            return Unpack(blob);
        }
        throw new InvalidOperationException("the embedded font assembly has no !AvaloniaResources");
    }

    private static Dictionary<string, byte[]> Unpack(byte[] blob)
    {
        using var stream = new MemoryStream(blob);
        using var r = new BinaryReader(stream);
        var indexLength = r.ReadInt32();
        var dataStart = 4 + indexLength;
        var version = r.ReadInt32();
        if (version != 2) throw new InvalidOperationException($"unexpected font resource index version {version}");
        var count = r.ReadInt32();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var k = 0; k < count; k++)
        {
            var path = r.ReadString();
            var offset = r.ReadInt32();
            var size = r.ReadInt32();
            if (path.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase))
                files[Path.GetFileName(path)] = blob.AsSpan(dataStart + offset, size).ToArray();
        }
        return files;
    }
}
