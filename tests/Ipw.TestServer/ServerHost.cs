using System.Text.Json;

namespace Ipw.TestServer;

/// <summary>
/// Runs the server as its own process, driven over stdin: prints "listening URL", then answers
/// "behaviour JSON", "clear", "served" (one JSON line per request, then "end") and "quit".
/// </summary>
public static class ServerHost
{
    public static async Task<int> Main()
    {
        await using var server = await InferenceServer.StartAsync();
        Console.WriteLine($"listening {server.BaseUrl}");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var space = line.IndexOf(' ');
            var command = space < 0 ? line : line[..space];
            switch (command)
            {
                case "behaviour":
                    server.Behaviour = JsonSerializer.Deserialize<Behaviour>(line[(space + 1)..])!;
                    Console.WriteLine("ok");
                    break;
                case "clear":
                    server.Served.Clear();
                    Console.WriteLine("ok");
                    break;
                case "served":
                    foreach (var s in server.Served) Console.WriteLine(JsonSerializer.Serialize(s));
                    Console.WriteLine("end");
                    break;
                case "quit":
                    return 0;
            }
        }
        return 0;
    }
}
