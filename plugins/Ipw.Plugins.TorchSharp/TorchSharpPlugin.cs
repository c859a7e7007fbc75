using Ipw.Abstractions;

namespace Ipw.Plugins.TorchSharp;

/// <summary>Registers the in-process <c>torchsharp</c> client.</summary>
public sealed class TorchSharpPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry) =>
        registry.AddClient(new ClientDescriptor(
            "torchsharp",
            "in-process TorchSharp (libtorch) on a Hugging Face safetensors folder: Llama, Mistral, Qwen2, GPT-2; default model: the built-in ipw-tiny-hf",
            options => new TorchSharpClient(options))
        {
            CheckAvailability = TorchNatives.Check,
        });
}
