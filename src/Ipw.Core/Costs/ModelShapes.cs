using Ipw.Abstractions;
using Ipw.Abstractions.Models;

namespace Ipw.Core.Costs;

/// <summary>Finds the model's shape for FLOPs (<see cref="ModelShape"/>): <c>--model-config</c> where given (a config.json,
/// a folder holding one, or a .gguf), else what the service said of its model (<see cref="ClientInfo.ModelShape"/>),
/// else the model file an in-process engine loaded (its <c>path</c> detail: a .gguf, or a folder with config.json);
/// none when nothing says.</summary>
public static class ModelShapes
{
    /// <exception cref="UserError">The <c>--model-config</c> given cannot be read.</exception>
    public static ModelShape? Resolve(string? modelConfig, ClientInfo info)
    {
        if (modelConfig is not null)
        {
            try
            {
                return Read(modelConfig) ?? throw new UserError($"--model-config {modelConfig}: not a config.json, a folder with one, or a .gguf");
            }
            catch (Exception e) when (e is ModelFileException or IOException or System.Text.Json.JsonException)
            {
                throw new UserError($"--model-config {modelConfig}: {e.Message}");
            }
        }
        if (info.ModelShape is { } served) return served;
        if (info.Details.GetValueOrDefault("path") is not { } path) return null;
        try
        {
            return Read(path);
        }
        catch (Exception e) when (e is ModelFileException or IOException or System.Text.Json.JsonException)
        {
            return null; // the engine loaded it: FLOPs are then simply not counted
        }
    }

    private static ModelShape? Read(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        if (!File.Exists(path)) return null;
        return path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? ModelShape.FromGguf(GgufFile.Read(path))
            : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ModelShape.FromConfigJson(File.ReadAllText(path))
            : null;
    }
}
