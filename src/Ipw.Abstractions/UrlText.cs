namespace Ipw.Abstractions;

/// <summary>A URL as ipw writes or prints it: credentials in it (<c>http://user:pass@host</c>) are never written anywhere.</summary>
public static class UrlText
{
    /// <summary><paramref name="url"/> with any <c>user[:password]@</c> before the host removed; other text as it was.</summary>
    public static string WithoutUserInfo(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var start = scheme < 0 ? 0 : scheme + 3;
        var end = url.IndexOfAny(['/', '?', '#'], start);
        var authority = end < 0 ? url[start..] : url[start..end];
        var at = authority.LastIndexOf('@');
        return at < 0 ? url : url[..start] + authority[(at + 1)..] + (end < 0 ? "" : url[end..]);
    }
}
