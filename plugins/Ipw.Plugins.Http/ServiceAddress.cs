using Ipw.Abstractions;

namespace Ipw.Plugins.Http;

/// <summary>
/// Where a client's service is: <c>--client-base-url</c>, else the environment variable the service's official SDK
/// reads (<c>OPENAI_BASE_URL</c>, <c>OLLAMA_HOST</c>), else the service's usual address. Written the way users write
/// it: without a scheme (<c>host:port</c>, http assumed), with the OpenAI SDK's trailing <c>/v1</c> (or Ollama's
/// <c>/api</c>) and trailing slashes, all of which name the same server root. Credentials written into the URL
/// (<c>http://user:pass@host</c>) are taken out of it: they become the request's Basic authorization and are never
/// written or printed.
/// </summary>
internal sealed record ServiceAddress(Uri Root, string Source)
{
    /// <summary>The <c>user:password</c> the URL carried (unescaped), or null; never part of <see cref="Root"/>.</summary>
    public string? UserInfo { get; init; }

    /// <summary>"http://127.0.0.1:8000/ (from OPENAI_BASE_URL)".</summary>
    public override string ToString() => $"{Root} (from {Source})";

    /// <param name="given">The flag's value, or null.</param>
    /// <param name="environment">The environment variable to read when no flag was given, or null.</param>
    /// <param name="fallback">The usual address, or null when the user must say (a generic server).</param>
    /// <param name="apiSuffix">The API path users append to the root ("v1", "api"), stripped.</param>
    public static ServiceAddress Resolve(string client, string? given, string? environment, string? fallback, string apiSuffix,
        Func<string, string?>? readEnvironment = null)
    {
        readEnvironment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(given)) return Make(client, given, apiSuffix, "--client-base-url");
        if (environment is not null && readEnvironment(environment) is { Length: > 0 } env)
            return Make(client, env, apiSuffix, environment);
        if (fallback is null)
            throw new PluginConfigurationException($"the {client} client needs --client-base-url (or {environment ?? "a base URL"}), e.g. http://127.0.0.1:8000/v1");
        return Make(client, fallback, apiSuffix, "default");
    }

    private static ServiceAddress Make(string client, string text, string apiSuffix, string source) =>
        new(Parse(client, text, apiSuffix, source, out var userInfo), source) { UserInfo = userInfo };

    internal static Uri Parse(string client, string text, string apiSuffix, string where) => Parse(client, text, apiSuffix, where, out _);

    internal static Uri Parse(string client, string text, string apiSuffix, string where, out string? userInfo)
    {
        var trimmed = text.Trim();
        if (!trimmed.Contains("://", StringComparison.Ordinal)) trimmed = "http://" + trimmed;
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw new PluginConfigurationException(
                $"malformed base URL '{Ipw.Abstractions.UrlText.WithoutUserInfo(text)}' ({where}): expected [http://]HOST[:PORT][/{apiSuffix}], e.g. http://127.0.0.1:8000/{apiSuffix}");
        userInfo = uri.UserInfo is { Length: > 0 } info ? Uri.UnescapeDataString(info) : null;
        var builder = new UriBuilder(uri) { Query = "", Fragment = "", UserName = "", Password = "" };
        // Ollama's OLLAMA_HOST may name the listening address 0.0.0.0: a client connects to this machine.
        if (builder.Host is "0.0.0.0") builder.Host = "127.0.0.1";
        // As Ollama's own client does: a plain-http host without a port is on Ollama's port.
        if (client == "ollama" && uri.Scheme == "http" && !HasPort(trimmed[(trimmed.IndexOf("://", StringComparison.Ordinal) + 3)..])) builder.Port = 11434;
        var path = builder.Path.TrimEnd('/');
        if (path.EndsWith("/" + apiSuffix, StringComparison.OrdinalIgnoreCase)) path = path[..^(apiSuffix.Length + 1)];
        // Paths are joined relative to the root: it ends with '/'.
        builder.Path = path.TrimEnd('/') + "/";
        return builder.Uri;
    }

    private static bool HasPort(string text)
    {
        var host = text.Split('/')[0];
        var colon = host.LastIndexOf(':');
        return colon > 0 && colon < host.Length - 1 && host[(colon + 1)..].All(char.IsAsciiDigit);
    }
}
