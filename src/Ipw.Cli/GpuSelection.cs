using System.CommandLine;
using Ipw.Core;

namespace Ipw.Cli;

/// <summary><c>--gpus 0,1</c>: the GPUs whose energy counts (the ones the service uses); without it, IPW_GPUS, else
/// CUDA_VISIBLE_DEVICES (<see cref="Ipw.Core.Telemetry.TelemetrySources.Options"/>).</summary>
internal static class GpuSelection
{
    public static Option<string?> Option() =>
        new("--gpus") { Description = "GPU indices whose telemetry counts, e.g. 0,1 (default: CUDA_VISIBLE_DEVICES, else all)" };
}
