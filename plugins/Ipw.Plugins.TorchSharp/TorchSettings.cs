using System.Globalization;
using Ipw.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Ipw.Plugins.TorchSharp;

/// <summary>The <c>device</c> and <c>dtype</c> settings the client and the load share, and the device synchronisation both
/// need before reading a clock.</summary>
internal static class TorchSettings
{
    /// <summary>cpu, cuda or cuda:N; CUDA only when libtorch sees a device.</summary>
    /// <exception cref="PluginConfigurationException">Not one of those, or no CUDA device.</exception>
    public static Device ParseDevice(string text)
    {
        Device device;
        if (text == "cpu") return CPU;
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            var index = text == "cuda" ? 0 : int.TryParse(text[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i
                : throw new PluginConfigurationException($"device '{text}': expected cpu, cuda or cuda:N");
            device = new Device(DeviceType.CUDA, index);
        }
        else throw new PluginConfigurationException($"device '{text}': expected cpu, cuda or cuda:N");
        if (!cuda.is_available())
            throw new PluginConfigurationException($"device {text}: libtorch sees no CUDA device (a CPU libtorch, no driver, or no GPU)");
        return device;
    }

    /// <summary>float32, float16 or bfloat16 (and their short names).</summary>
    /// <exception cref="PluginConfigurationException">Another name.</exception>
    public static ScalarType ParseDtype(string text) => text switch
    {
        "float32" or "fp32" => ScalarType.Float32,
        "float16" or "fp16" or "half" => ScalarType.Float16,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        _ => throw new PluginConfigurationException($"dtype '{text}': expected float32, float16 or bfloat16"),
    };

    /// <summary>Waits for the device's queued work (a no-op on the CPU), so a timestamp taken next is of finished work.</summary>
    public static void Sync(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
