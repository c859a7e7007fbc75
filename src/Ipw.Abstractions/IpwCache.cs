namespace Ipw.Abstractions;

/// <summary>Where ipw keeps what it can rebuild (the tiny model, fonts, compiled scripts).</summary>
public static class IpwCache
{
    /// <summary><c>$IPW_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/ipw</c>, else <c>~/.cache/ipw</c>.</summary>
    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("IPW_CACHE_DIR") is { Length: > 0 } dir) return dir;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg, "ipw");
        }
    }
}
