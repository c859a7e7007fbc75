using System.CommandLine;

namespace Ipw.Cli;

/// <summary>What each query costs: <c>--energy-price</c>, <c>--carbon</c>, <c>--price-in</c> and <c>--price-out</c> price its
/// energy and tokens (<see cref="Core.Costs.Pricing"/>: <c>cost_usd</c>, <c>co2e_g</c>), and <c>--model-config</c> gives the
/// model's shape for its FLOPs (<see cref="Abstractions.Models.ModelShape"/>: <c>flops_prefill</c>, <c>flops_decode</c>).</summary>
internal sealed class CostOptions
{
    private readonly Option<string?> _modelConfig = new("--model-config")
    {
        HelpName = "file",
        Description = "the model's config.json (or a folder holding it, or its .gguf) for FLOPs per query; without it, what the server says of its model (Ollama's /api/show, llama.cpp's model file or counts) or the engine's own model file",
    };
    private readonly Option<string?> _energy = new("--energy-price")
    {
        HelpName = "price",
        Description = "electricity's price per kWh, e.g. 0.15/kWh: each query's energy_j at this price goes into cost_usd",
    };
    private readonly Option<string?> _carbon = new("--carbon")
    {
        HelpName = "intensity",
        Description = "the grid's carbon intensity, e.g. 400g/kWh or 0.4kg/kWh: each query's CO2e (co2e_g) from its energy",
    };
    private readonly Option<double?> _in = new("--price-in") { HelpName = "per-mtok", Description = "an API model's price per million input tokens, added to cost_usd" };
    private readonly Option<double?> _out = new("--price-out") { HelpName = "per-mtok", Description = "an API model's price per million output tokens, added to cost_usd" };

    public IReadOnlyList<Option> All => [_energy, _carbon, _in, _out, _modelConfig];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    public (string? EnergyPrice, string? Carbon, double? PriceIn, double? PriceOut, string? ModelConfig) Read(ParseResult parse) =>
        (parse.GetValue(_energy), parse.GetValue(_carbon), parse.GetValue(_in), parse.GetValue(_out), parse.GetValue(_modelConfig));
}
