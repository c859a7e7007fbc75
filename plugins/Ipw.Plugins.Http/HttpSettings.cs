using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>Parameters every HTTP client understands (<c>--client-param key=value</c>).</summary>
internal sealed record HttpSettings
{
    public static readonly string[] Known = ["endpoint", "connect_timeout", "first_token_timeout", "total_timeout", "retries", "top_p", "top_k", "stop"];
    public const string HeaderPrefix = "header.";

    public required Uri BaseUrl { get; init; }
    public required string Endpoint { get; init; }
    public TimeSpan ConnectTimeout { get; init; }
    public TimeSpan FirstTokenTimeout { get; init; }
    public TimeSpan TotalTimeout { get; init; }
    public int Retries { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public string? Stop { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>Reads the shared parameters; <paramref name="endpoints"/> lists the valid endpoint names, the first the default.</summary>
    public static HttpSettings From(ClientOptions options, string client, string defaultBaseUrl, string[] endpoints)
    {
        var baseUrl = ParseBaseUrl(client, options.BaseUrl ?? defaultBaseUrl);
        var endpoint = options.Settings.GetValueOrDefault("endpoint") ?? endpoints[0];
        if (!endpoints.Contains(endpoint, StringComparer.Ordinal))
            throw new PluginConfigurationException($"parameter 'endpoint' must be one of {string.Join(", ", endpoints)}, got '{endpoint}'");
        var retries = options.GetInt("retries", 0);
        if (retries is < 0 or > 10) throw new PluginConfigurationException($"parameter 'retries' must be between 0 and 10, got {retries}");
        return new HttpSettings
        {
            BaseUrl = baseUrl,
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
        };
    }

    internal static Uri ParseBaseUrl(string client, string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw new PluginConfigurationException($"malformed base URL '{text}': expected http://HOST:PORT, e.g. --client-base-url http://127.0.0.1:8000");
        // Paths are joined relative to the base: make sure it ends with '/'.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    private static TimeSpan Seconds(ClientOptions options, string key, double fallback)
    {
        var value = options.GetDouble(key, fallback);
        if (value <= 0 || double.IsNaN(value)) throw new PluginConfigurationException($"parameter '{key}' must be a positive number of seconds, got {value}");
        return TimeSpan.FromSeconds(value);
    }
}
