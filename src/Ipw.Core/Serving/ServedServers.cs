using System.Text.Json;
using Ipw.Abstractions;

namespace Ipw.Core.Serving;

/// <summary>A server started by <c>ipw serve start</c>, as its state file records it.</summary>
public sealed record ServedServer(string Name, string Kind, int Pid, string Url, string BaseUrl, string Command, string Log, string StartedAt,
    string? Model, double? ReadyS);

/// <summary>
/// The servers <c>ipw serve start</c> started and has not stopped: one JSON file per name in ipw's state folder
/// (<c>$IPW_STATE_DIR</c>, else <c>$XDG_STATE_HOME/ipw/servers</c>, else <c>~/.local/state/ipw/servers</c>), with each
/// server's log beside it. A file whose process is gone is reported as exited, and removed by <c>ipw serve stop</c>.
/// </summary>
public static class ServedServers
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Folder =>
        Environment.GetEnvironmentVariable("IPW_STATE_DIR") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state"), "ipw", "servers");

    public static string LogPath(string name) => Path.Combine(Folder, name + ".log");

    public static void CheckName(string name)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') || name.StartsWith('.'))
            throw new UserError($"--name '{name}': use 1 to 64 letters, digits, '.', '-' or '_'");
    }

    public static void Save(ServedServer server)
    {
        Directory.CreateDirectory(Folder);
        AtomicFile.WriteAllText(Path.Combine(Folder, server.Name + ".json"), JsonSerializer.Serialize(server, Json));
    }

    public static ServedServer? Find(string name)
    {
        var file = Path.Combine(Folder, name + ".json");
        return File.Exists(file) ? Read(file) : null;
    }

    public static IReadOnlyList<ServedServer> All() =>
        Directory.Exists(Folder)
            ? Directory.EnumerateFiles(Folder, "*.json").Select(Read).OfType<ServedServer>().OrderBy(s => s.Name, StringComparer.Ordinal).ToList()
            : [];

    public static void Forget(string name) => File.Delete(Path.Combine(Folder, name + ".json"));

    private static ServedServer? Read(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<ServedServer>(File.ReadAllText(file), Json);
        }
        catch (JsonException)
        {
            return null; // not one of ours: listed by nobody
        }
    }
}
