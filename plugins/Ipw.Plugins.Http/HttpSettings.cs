using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>Parameters every HTTP client understands (<c>--client-param key=value</c>).</summary>
internal sealed record HttpSettings
{
    public static readonly string[] Known = ["endpoint", "connect_timeout", "first_token_timeout", "total_timeout", "retries", "retry", "reuse_connections", "top_p", "top_k", "stop"];
    public const string HeaderPrefix = "header.";
    public const string BodyPrefix = "body.";

    public required ServiceAddress Address { get; init; }
    public Uri BaseUrl => Address.Root;
    public required string Endpoint { get; init; }
    public TimeSpan ConnectTimeout { get; init; }
    public TimeSpan FirstTokenTimeout { get; init; }
    public TimeSpan TotalTimeout { get; init; }
    public int Retries { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public string? Stop { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>Extra request fields (<c>body.KEY=JSON</c>), merged into every request body as given.</summary>
    public RequestFields Body { get; init; } = RequestFields.None;

    /// <summary>Reads the shared parameters; <paramref name="endpoints"/> lists the valid endpoint names, the first the default;
    /// <paramref name="ownFields"/> the request fields the client writes itself (a <c>body.</c> key may not replace them).</summary>
    public static HttpSettings From(ClientOptions options, ServiceAddress address, string[] endpoints, IReadOnlyCollection<string> ownFields)
    {
        var endpoint = options.Settings.GetValueOrDefault("endpoint") ?? endpoints[0];
        if (!endpoints.Contains(endpoint, StringComparer.Ordinal))
            throw new PluginConfigurationException($"parameter 'endpoint' must be one of {string.Join(", ", endpoints)}, got '{endpoint}'");
        if (options.Settings.ContainsKey("retries") && options.Settings.ContainsKey("retry"))
            throw new PluginConfigurationException("give 'retries' or 'retry', not both (they are the same parameter)");
        var retries = options.GetInt(options.Settings.ContainsKey("retry") ? "retry" : "retries", 0);
        if (retries is < 0 or > 10) throw new PluginConfigurationException($"parameter 'retries' must be between 0 and 10, got {retries}");
        var body = RequestFields.From(options, BodyPrefix, ownFields);
        foreach (var both in new[] { "top_p", "top_k", "stop" }.Where(k => options.Settings.ContainsKey(k) && body.Contains(k)))
            throw new PluginConfigurationException($"give '{both}' or '{BodyPrefix}{both}', not both");
        return new HttpSettings
        {
            Address = address,
            Endpoint = endpoint,
            ConnectTimeout = Seconds(options, "connect_timeout", 10),
            FirstTokenTimeout = Seconds(options, "first_token_timeout", 120),
            TotalTimeout = Seconds(options, "total_timeout", 600),
            Retries = retries,
            TopP = options.Settings.ContainsKey("top_p") ? options.GetDouble("top_p", 1) : null,
            TopK = options.Settings.ContainsKey("top_k") ? options.GetInt("top_k", 0) : null,
            Stop = options.Settings.GetValueOrDefault("stop"),
            Headers = options.Settings.Where(p => p.Key.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
                .Select(p => KeyValuePair.Create(p.Key[HeaderPrefix.Length..], p.Value)).ToList(),
            Body = body,
        };
    }

    private static TimeSpan Seconds(ClientOptions options, string key, double fallback)
    {
        var value = options.GetDouble(key, fallback);
        if (value <= 0 || double.IsNaN(value)) throw new PluginConfigurationException($"parameter '{key}' must be a positive number of seconds, got {value}");
        return TimeSpan.FromSeconds(value);
    }
}
