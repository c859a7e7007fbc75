using Ipw.Abstractions;

namespace Ipw.Plugins.LlamaSharp;

/// <summary>Registers the in-process <c>llamasharp</c> client.</summary>
public sealed class LlamaSharpPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry) =>
        registry.AddClient(new ClientDescriptor(
            "llamasharp",
            "in-process llama.cpp (LLamaSharp, CPU) on a GGUF file; default model: the built-in ipw-tiny",
            options => new LlamaSharpClient(options))
        {
            InProcess = true,
            CheckAvailability = NativeAvailability,
        });

    /// <summary>Checks the bundled natives exist for this platform without loading them.</summary>
    private static Availability NativeAvailability()
    {
        var dir = Path.GetDirectoryName(typeof(LlamaSharpPlugin).Assembly.Location);
        if (string.IsNullOrEmpty(dir)) return Availability.Yes;
        var native = Path.Combine(dir, "runtimes");
        if (!Directory.Exists(native))
            return Availability.No($"no llama.cpp natives beside the plugin ({native} is missing); rebuild the plugin for this platform");
        var libName = OperatingSystem.IsWindows() ? "llama.dll" : OperatingSystem.IsMacOS() ? "libllama.dylib" : "libllama.so";
        return Directory.EnumerateFiles(native, libName, SearchOption.AllDirectories).Any()
            ? Availability.Yes
            : Availability.No($"no {libName} for this platform under {native}");
    }
}
