using System.CommandLine;

namespace Ipw.Cli;

/// <summary><c>--energy-price</c>, <c>--carbon</c>, <c>--price-in</c> and <c>--price-out</c>: what each query's energy and
/// tokens cost and emit (<see cref="Core.Costs.Pricing"/>), written as <c>cost_usd</c> and <c>co2e_g</c>.</summary>
internal sealed class PricingOptions
{
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

    public IReadOnlyList<Option> All => [_energy, _carbon, _in, _out];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    public (string? EnergyPrice, string? Carbon, double? PriceIn, double? PriceOut) Read(ParseResult parse) =>
        (parse.GetValue(_energy), parse.GetValue(_carbon), parse.GetValue(_in), parse.GetValue(_out));
}
