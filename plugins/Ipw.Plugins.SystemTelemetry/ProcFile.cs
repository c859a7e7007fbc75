using Microsoft.Win32.SafeHandles;

namespace Ipw.Plugins.SystemTelemetry;

/// <summary>A procfs/sysfs file kept open and re-read from offset 0 into a reused buffer:
/// no allocation per sample, so sampling at 20 Hz costs microseconds.</summary>
internal sealed class ProcFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private byte[] _buffer = new byte[4096];

    public string Path { get; }

    private ProcFile(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    public static ProcFile? TryOpen(string path)
    {
        try
        {
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var file = new ProcFile(path, handle);
            return file.Read().Length > 0 ? file : Dispose(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ProcFile? Dispose(ProcFile file)
    {
        file.Dispose();
        return null;
    }

    /// <summary>The file's current contents (valid until the next read).</summary>
    public ReadOnlySpan<byte> Read()
    {
        var total = 0;
        while (true)
        {
            var n = RandomAccess.Read(_handle, _buffer.AsSpan(total), total);
            if (n == 0) break;
            total += n;
            if (total == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        return _buffer.AsSpan(0, total);
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>Tiny allocation-free parsers for /proc text.</summary>
internal static class ProcParse
{
    /// <summary>The n-th (0-based) whitespace-separated unsigned integer field of <paramref name="line"/>.</summary>
    public static long Field(ReadOnlySpan<byte> line, int n)
    {
        var i = 0;
        for (var field = 0; ; field++)
        {
            while (i < line.Length && (line[i] == ' ' || line[i] == '\t')) i++;
            if (i >= line.Length) return -1;
            var start = i;
            while (i < line.Length && line[i] != ' ' && line[i] != '\t' && line[i] != '\n') i++;
            if (field == n) return Number(line[start..i]);
        }
    }

    public static long Number(ReadOnlySpan<byte> text)
    {
        long value = 0;
        var any = false;
        var negative = text.Length > 0 && text[0] == '-';
        foreach (var b in negative ? text[1..] : text)
        {
            if (b is < (byte)'0' or > (byte)'9') break;
            value = value * 10 + (b - '0');
            any = true;
        }
        return !any ? -1 : negative ? -value : value;
    }

    /// <summary>The value after "<paramref name="key"/>" in a "Key:   123 kB" style file (meminfo), or -1.</summary>
    public static long KeyedValue(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
    {
        var at = text.IndexOf(key);
        if (at < 0) return -1;
        var rest = text[(at + key.Length)..];
        var end = rest.IndexOf((byte)'\n');
        return Field(end < 0 ? rest : rest[..end], 0);
    }

    /// <summary>The first line of <paramref name="text"/>.</summary>
    public static ReadOnlySpan<byte> FirstLine(ReadOnlySpan<byte> text)
    {
        var end = text.IndexOf((byte)'\n');
        return end < 0 ? text : text[..end];
    }
}
