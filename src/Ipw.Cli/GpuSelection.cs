using System.CommandLine;
using Ipw.Core;

namespace Ipw.Cli;

/// <summary><c>--gpus 0,1</c>: the GPUs whose energy counts (the ones the service uses). GPU backends read it
/// from IPW_GPUS, falling back to CUDA_VISIBLE_DEVICES.</summary>
internal static class GpuSelection
{
    public static Option<string?> Option() =>
        new("--gpus") { Description = "GPU indices whose telemetry counts, e.g. 0,1 (default: CUDA_VISIBLE_DEVICES, else all)" };

    public static void Apply(string? value)
    {
        if (value is null) return;
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => !int.TryParse(p, out var i) || i < 0))
            throw new UserError($"--gpus expects GPU indices such as 0,1, got '{value}'");
        Environment.SetEnvironmentVariable("IPW_GPUS", string.Join(',', parts));
    }
}
