using System.Globalization;
using System.Text.Json;

namespace Ipw.TestServer;

/// <summary>
/// Runs the server as its own process. Driven over stdin (the default): prints "listening URL", then answers
/// "behaviour JSON", "clear", "served" (one JSON line per request, then "end") and "quit".
/// As a launched server (<c>--port P</c>, also <c>--host H</c>, and <c>-m FILE</c>, which it ignores, so it stands in
/// for llama-server on a command line): prints "listening URL" and serves until SIGTERM or Ctrl-C;
/// <c>--exit-after-requests N</c> makes it exit abruptly (code 3) once it has finished N generation requests, as a
/// server that crashes mid-run; <c>--startup-delay-ms MS</c> waits that long before listening, as a model load does;
/// <c>--args-file PATH</c> writes the arguments it was given there, one per line.
/// </summary>
public static class ServerHost
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0) return await ServeAsync(args);
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

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
    private static extern void Exit(int code);

    private static async Task<int> ServeAsync(string[] args)
    {
        int port = 0, exitAfter = 0, startupDelayMs = 0;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--port": port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--exit-after-requests": exitAfter = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--startup-delay-ms": startupDelayMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--args-file": File.WriteAllLines(Next(), args); break;
                case "--host" or "-m" or "--model": Next(); break;
                default: Console.Error.WriteLine($"test server: unknown argument '{args[i]}'"); return 2;
            }
        }
        Console.WriteLine("test server: loading");
        if (startupDelayMs > 0) await Task.Delay(startupDelayMs);
        await using var server = await InferenceServer.StartAsync(port);
        server.Behaviour = new Behaviour { KeepLog = false };
        long finished = 0;
        if (exitAfter > 0)
            server.PhaseHook = (request, phase) =>
            {
                if (phase == ServerPhase.Done && Interlocked.Increment(ref finished) >= exitAfter)
                    _ = Task.Delay(50).ContinueWith(_ =>
                    {
                        Console.WriteLine($"test server: exiting after {exitAfter} requests");
                        Console.Out.Flush();
                        // At once, as a crash would: no shutdown (which could meet the native engine mid-generation).
                        Exit(3);
                    }, TaskScheduler.Default);
            };
        Console.WriteLine($"listening {server.BaseUrl}");
        using var stopped = new CancellationTokenSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stopped.Cancel();
        });
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopped.Cancel();
        };
        try
        {
            await Task.Delay(Timeout.Infinite, stopped.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("test server: stopping");
        }
        return 0;
    }
}
