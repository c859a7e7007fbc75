using System.Globalization;

namespace Ipw.Core.Costs;

/// <summary>
/// What a query costs and emits, defined once for the records (<c>cost_usd</c>, <c>co2e_g</c>), their rewrite when the
/// run's energy is finalised, and the summary: the electricity its attributed energy took at <c>--energy-price</c> (per
/// kWh), plus its tokens at <c>--price-in</c> and <c>--price-out</c> (per million tokens, an API model's list price);
/// and the CO2e of that energy at <c>--carbon</c> (grams per kWh). A part that is priced but not measured (no energy, a
/// token count unknown) makes the whole missing, never a smaller number; nothing priced, no cost.
/// </summary>
public sealed record Pricing(double? EnergyPerKwh, double? CarbonGPerKwh, double? InputPerMillionTokens, double? OutputPerMillionTokens)
{
    private const double JoulesPerKwh = 3.6e6;

    /// <summary>Whether anything is priced.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool PricesCost => EnergyPerKwh is not null || InputPerMillionTokens is not null || OutputPerMillionTokens is not null;

    /// <summary>The cost of a query, in the prices' currency (US dollars as written); null when not priced or a priced
    /// part is not measured.</summary>
    public double? Cost(double? energyJ, long? inputTokens, long? outputTokens)
    {
        if (!PricesCost) return null;
        var cost = 0.0;
        if (EnergyPerKwh is { } kwh)
        {
            if (energyJ is not { } e || !double.IsFinite(e)) return null;
            cost += e / JoulesPerKwh * kwh;
        }
        if (InputPerMillionTokens is { } pin)
        {
            if (inputTokens is not { } i) return null;
            cost += i / 1e6 * pin;
        }
        if (OutputPerMillionTokens is { } pout)
        {
            if (outputTokens is not { } o) return null;
            cost += o / 1e6 * pout;
        }
        return cost;
    }

    /// <summary>The grams of CO2e of a query's energy; null without <c>--carbon</c> or without energy.</summary>
    public double? Co2eG(double? energyJ) =>
        CarbonGPerKwh is { } g && energyJ is { } e && double.IsFinite(e) ? e / JoulesPerKwh * g : null;

    /// <summary>The options as given, or null when none is: <c>--energy-price 0.15/kWh</c>, <c>--carbon 400g/kWh</c> (or
    /// <c>0.4kg/kWh</c>), <c>--price-in 0.5</c>, <c>--price-out 1.5</c> (per million tokens).</summary>
    /// <exception cref="UserError">A value that is not such a number.</exception>
    public static Pricing? Parse(string? energyPrice, string? carbon, double? priceIn, double? priceOut)
    {
        if (energyPrice is null && carbon is null && priceIn is null && priceOut is null) return null;
        if (priceIn is < 0 || priceOut is < 0) throw new UserError("--price-in and --price-out are prices per million tokens: 0 or more");
        return new Pricing(energyPrice is null ? null : Number("--energy-price", energyPrice, [("/kwh", 1)], "0.15/kWh"),
            carbon is null ? null : Number("--carbon", carbon, [("g/kwh", 1), ("kg/kwh", 1000)], "400g/kWh"), priceIn, priceOut);
    }

    private static double Number(string option, string text, (string Suffix, double Scale)[] units, string example)
    {
        var t = text.Trim().TrimStart('$').ToLowerInvariant();
        var scale = 1.0;
        foreach (var (suffix, s) in units.OrderByDescending(u => u.Suffix.Length))
            if (t.EndsWith(suffix, StringComparison.Ordinal)) { t = t[..^suffix.Length]; scale = s; break; }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v >= 0
            ? v * scale
            : throw new UserError($"{option} expects a number such as {example}, got '{text}'");
    }
}
