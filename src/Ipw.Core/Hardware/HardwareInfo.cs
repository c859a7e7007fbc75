using System.Runtime.InteropServices;
using System.Text;

namespace Ipw.Core.Hardware;

/// <summary>What machine a run measured: real device names, read once.</summary>
public sealed record HardwareInfo(string CpuModel, int LogicalCores, long? MemoryTotalBytes, string Os, string Architecture, IReadOnlyList<string> Gpus)
{
    /// <summary>The label in run-folder names: the GPUs' names when a backend found any, else the CPU's.</summary>
    public string Label => Slug(Gpus.Count > 0 ? $"{Gpus.Count}x{Gpus[0]}" : CpuModel);

    public static HardwareInfo Detect(IReadOnlyList<string>? gpus = null) => new(
        ReadCpuModel(),
        Environment.ProcessorCount,
        ReadMemoryTotal(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
        gpus ?? []);

    private static string ReadCpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    // x86 says "model name", many ARM kernels only "Hardware" or "Model".
                    if (line.StartsWith("model name", StringComparison.Ordinal) || line.StartsWith("Model\t", StringComparison.Ordinal))
                    {
                        var value = line[(line.IndexOf(':') + 1)..].Trim();
                        if (value.Length > 0) return value;
                    }
                }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}-cpu";
    }

    private static long? ReadMemoryTotal()
    {
        try
        {
            if (!File.Exists("/proc/meminfo")) return null;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
                var kb = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }
        catch (IOException) { }
        catch (FormatException) { }
        return null;
    }

    /// <summary>Makes a device or model name readable and safe in a file name:
    /// "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz" becomes "intel-xeon-platinum-8375c".</summary>
    public static string Slug(string text)
    {
        var cleaned = text.Replace("(R)", "", StringComparison.OrdinalIgnoreCase)
            .Replace("(TM)", "", StringComparison.OrdinalIgnoreCase);
        var at = cleaned.IndexOf(" @ ", StringComparison.Ordinal);
        if (at >= 0) cleaned = cleaned[..at];
        var sb = new StringBuilder(cleaned.Length);
        foreach (var ch in cleaned.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(ch) || ch == '.') sb.Append(ch);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        var words = sb.ToString().Trim('-', '.').Split('-', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("cpu" or "processor"));
        var slug = string.Join('-', words);
        if (slug.Length > 60) slug = slug[..60].TrimEnd('-', '.');
        return slug.Length == 0 ? "unknown" : slug;
    }
}
