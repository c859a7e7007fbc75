using Ipw.Core;
using Ipw.Core.Costs;

namespace Ipw.Core.Tests;

/// <summary>The one definition of a query's cost and CO2e (<see cref="Pricing"/>), checked by hand.</summary>
public sealed class PricingTests
{
    [Fact]
    public void A_querys_cost_is_its_energy_at_the_kwh_price_plus_its_tokens_at_the_token_prices()
    {
        var p = Pricing.Parse("0.15/kWh", "400g/kWh", 0.5, 2)!;
        // 3.6 MJ is 1 kWh: 0.15; 1,000,000 input tokens 0.5; 500,000 output tokens 1.0.
        Assert.Equal(0.15 + 0.5 + 1.0, p.Cost(3.6e6, 1_000_000, 500_000)!.Value, 12);
        Assert.Equal(400, p.Co2eG(3.6e6)!.Value, 12);
        Assert.Equal(100 / 3.6e6 * 400, p.Co2eG(100)!.Value, 12);
        // A priced part not measured makes the cost missing, not smaller; carbon needs only the energy.
        Assert.Null(p.Cost(null, 10, 10));
        Assert.Null(p.Cost(5, null, 10));
        Assert.Null(p.Co2eG(double.NaN));
    }

    [Fact]
    public void Only_the_priced_parts_count_and_nothing_priced_is_no_cost()
    {
        var tokensOnly = Pricing.Parse(null, null, null, 10)!;
        Assert.Equal(0.0001, tokensOnly.Cost(null, null, 10)!.Value, 15); // no energy needed when energy is not priced
        Assert.Null(tokensOnly.Co2eG(100));
        var carbonOnly = Pricing.Parse(null, "0.4kg/kWh", null, null)!;
        Assert.Null(carbonOnly.Cost(100, 1, 1));
        Assert.Equal(400, carbonOnly.CarbonGPerKwh);
        Assert.Null(Pricing.Parse(null, null, null, null));
        Assert.Equal(0.15, Pricing.Parse("$0.15", null, null, null)!.EnergyPerKwh);
    }

    [Theory]
    [InlineData("0.15/MWh", null, "--energy-price expects a number such as 0.15/kWh, got '0.15/MWh'")]
    [InlineData(null, "400 tons", "--carbon expects a number such as 400g/kWh, got '400 tons'")]
    [InlineData("-1", null, "--energy-price expects a number such as 0.15/kWh, got '-1'")]
    public void A_bad_price_is_one_line_naming_the_option(string? energy, string? carbon, string message) =>
        Assert.Equal(message, Assert.Throws<UserError>(() => Pricing.Parse(energy, carbon, null, null)).Message);
}
