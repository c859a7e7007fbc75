using System.Diagnostics;

namespace Ipw.Tests;

/// <summary>
/// A real small filesystem (a tmpfs of a few KiB, mounted for the test), so a full disk is the kernel's ENOSPC, not a
/// stand-in. Mounting needs root, as in CI; elsewhere the test fails saying so.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    public string Path { get; }

    public SmallDisk(int kib)
    {
        Path = Directory.CreateTempSubdirectory("ipw-small-disk-").FullName;
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={kib}k", "tmpfs", Path);
        if (code != 0) throw new InvalidOperationException($"mounting a {kib} KiB tmpfs needs root (mount said: {output.Trim()})");
    }

    /// <summary>Fills the disk but for about <paramref name="kibLeft"/> KiB, with a file that <see cref="Free"/> removes.</summary>
    public void Fill(int kibLeft)
    {
        var free = new DriveInfo(Path).AvailableFreeSpace;
        var size = Math.Max(0, free - kibLeft * 1024L);
        using var f = new FileStream(System.IO.Path.Combine(Path, ".filler"), FileMode.Create);
        f.Write(new byte[size]);
    }

    /// <summary>Gives the filler's room back.</summary>
    public void Free() => File.Delete(System.IO.Path.Combine(Path, ".filler"));

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static (int Code, string Output) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
