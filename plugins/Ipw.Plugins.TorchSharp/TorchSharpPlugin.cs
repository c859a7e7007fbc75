using Ipw.Abstractions;

namespace Ipw.Plugins.TorchSharp;

/// <summary>Registers the in-process <c>torchsharp</c> client and the <c>torch</c> compute load.</summary>
public sealed class TorchSharpPlugin : IIpwPlugin
{
    public void Register(IPluginRegistry registry)
    {
        registry.AddClient(new ClientDescriptor(
            "torchsharp",
            "in-process TorchSharp (libtorch) on a Hugging Face safetensors folder: Llama, Mistral, Qwen2, GPT-2; default model: the built-in ipw-tiny-hf",
            options => new TorchSharpClient(options))
        {
            InProcess = true,
            CheckAvailability = TorchNatives.Check,
        });
        registry.AddLoad(new LoadDescriptor(
            "torch",
            "square matrix multiplies through libtorch (2n^3 FLOP each) on cpu or cuda; --load-param device=, size=, dtype=, threads=",
            settings => new MatmulLoad(settings))
        {
            CheckAvailability = TorchNatives.Check,
        });
    }
}
