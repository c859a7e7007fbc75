namespace Ipw.Abstractions;

/// <summary>
/// Writes a file so that a reader (or a crash) never sees half of it: the content goes to a temporary file beside the
/// target, which then replaces it in one rename. The one place ipw does this: the run store, ipw's caches and plugins'
/// caches all write through it.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = TempFor(path);
        try
        {
            using (var file = File.OpenHandle(temp, FileMode.Create, FileAccess.Write)) RandomAccess.Write(file, bytes, 0);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes through <paramref name="write"/> into a temporary file, then renames it over <paramref name="path"/>;
    /// the temporary file is removed when writing fails.</summary>
    public static void Write(string path, Action<string> write)
    {
        var temp = TempFor(path);
        try
        {
            write(temp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>As <see cref="Write"/>, for a writer that awaits.</summary>
    public static async Task WriteAsync(string path, Func<string, Task> write)
    {
        var temp = TempFor(path);
        try
        {
            await write(temp).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The temporary file beside <paramref name="path"/>: per process, so two writers never share one.</summary>
    private static string TempFor(string path) => $"{path}.{Environment.ProcessId}.tmp";
}
