namespace Ipw.Core;

/// <summary>
/// The machine refused a write the run needs (the disk is full, the folder is gone): shown as one line, exit code 1, no
/// stack trace. Not the user's mistake, so not a <see cref="UserError"/>; what was written before it stays readable.
/// </summary>
public sealed class StorageError(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Whether <paramref name="e"/> says the disk (or the user's quota) is full: ENOSPC and EDQUOT on Unix,
    /// ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(IOException e) =>
        e.HResult is 28 or 122 || (e.HResult & 0xFFFF) is 0x70 or 0x27
        || e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("quota exceeded", StringComparison.OrdinalIgnoreCase);

    /// <summary>The failure in words: "no space left on device at PATH", or the system's own message.</summary>
    public static string Describe(IOException e, string where) =>
        IsDiskFull(e) ? $"no space left on device at {where}" : $"cannot write {where}: {e.Message}";
}
