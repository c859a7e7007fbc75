using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ipw.Core;
using Ipw.Core.Serving;

namespace Ipw.Cli;

/// <summary><c>ipw serve start|status|stop</c>: inference servers that ipw starts, keeps track of, and stops.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Start, list and stop inference servers (llama.cpp, vLLM, Ollama) for ipw profile to measure");
        command.Subcommands.Add(Start());
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Stop());
        return command;
    }

    private static Command Start()
    {
        var kind = new Argument<string>("server") { Description = string.Join(", ", ServerRecipe.All.Select(r => r.Kind)) };
        kind.AcceptOnlyFromAmong([.. ServerRecipe.All.Select(r => r.Kind)]);
        var extra = new Argument<string[]>("args") { Description = "the server's own arguments, after --", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string?>("--model", "-m") { Description = "the model: a GGUF file (llamacpp), a Hugging Face name or folder (vllm), a pulled model (ollama, loaded at once)" };
        var name = new Option<string?>("--name") { Description = "what ipw serve status and stop call it (default: the server's kind)" };
        var host = new Option<string>("--host") { Description = "the address it listens on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int?>("--port") { Description = "the port (default: the server's usual one: llamacpp 8080, vllm 8000, ollama 11434)" };
        var exe = new Option<string?>("--exe") { Description = "the server program (default: llama-server, vllm or ollama on PATH)" };
        var wait = new Option<string>("--wait") { Description = "how long it may take to become ready (loading the model included)", DefaultValueFactory = _ => "10m" };
        var command = new Command("start", "Start a server in the background and wait until it is ready; its output goes to a log beside its state")
        {
            kind, extra, model, name, host, port, exe, wait,
        };
        command.SetAction(async (parse, ct) =>
        {
            var recipe = ServerRecipe.Find(parse.GetValue(kind)!);
            var serverName = parse.GetValue(name) ?? recipe.Kind;
            ServedServers.CheckName(serverName);
            if (ServedServers.Find(serverName) is { } running && ServerProcess.IsAlive(running.Pid))
                throw new UserError($"a server named '{serverName}' is already running ({running.Url}, pid {running.Pid}): ipw serve stop {serverName} first, or give --name");
            var (address, listen) = (parse.GetValue(host)!, parse.GetValue(port) ?? recipe.DefaultPort);
            if (ServerReadiness.InUse(address, listen))
                throw new UserError($"{address}:{listen} is already in use (another server?): give --port");
            var program = parse.GetValue(exe) ?? recipe.Program;
            if (ServerProcess.FindProgram(program) is null)
                throw new UserError($"{program} was not found{(program.Contains('/') ? "" : " on PATH")}: install it, or give its path with --exe");
            var limit = Durations.Parse("--wait", parse.GetValue(wait)!, allowZero: false);
            var (line, environment) = recipe.CommandLine(program, parse.GetValue(model), address, listen, parse.GetValue(extra) ?? []);
            var log = ServedServers.LogPath(serverName);
            Directory.CreateDirectory(ServedServers.Folder);
            File.WriteAllText(log, "");
            var started = Stopwatch.GetTimestamp();
            using var server = ServerProcess.Start(line, log, environment);
            var origin = $"http://{address}:{listen}";
            double readyS;
            try
            {
                readyS = await ServerReadiness.WaitAsync(server, origin + recipe.ReadyPath, limit, started, ct);
                if (recipe.Kind == "ollama" && parse.GetValue(model) is { } pulled) await LoadOllamaModelAsync(origin, pulled, ct);
            }
            catch
            {
                if (!server.HasExited) await server.StopAsync(LaunchedServer.StopGrace);
                throw;
            }
            var entry = new ServedServer(serverName, recipe.Kind, server.Pid, origin, recipe.BaseUrl(address, listen), LaunchedServer.Redacted(line), log,
                DateTimeOffset.UtcNow.ToString("O"), parse.GetValue(model), readyS);
            ServedServers.Save(entry);
            Console.WriteLine($"{serverName}: {recipe.Kind} ready at {origin} in {readyS.ToString("0.0", CultureInfo.InvariantCulture)} s (pid {server.Pid}); log: {log}");
            Console.WriteLine($"measure it: ipw profile --client {recipe.Client} --client-base-url {entry.BaseUrl}{(recipe.Kind == "ollama" && entry.Model is { } m ? $" --model {m}" : "")}");
            Console.WriteLine($"stop it: ipw serve stop {serverName}");
            return 0;
        });
        return command;
    }

    private static Command Status()
    {
        var name = new Argument<string?>("name") { Description = "one server (default: every one)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("status", "The servers ipw serve start started: running or exited, answering or not, where their logs are") { name };
        command.SetAction(async (parse, ct) =>
        {
            var servers = parse.GetValue(name) is { } one
                ? [ServedServers.Find(one) ?? throw new UserError($"no server named '{one}' (ipw serve status lists them)")]
                : ServedServers.All();
            if (servers.Count == 0)
            {
                Console.WriteLine("no servers started by ipw serve start");
                return 0;
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var text = new StringBuilder();
            text.AppendLine($"{"name",-12} {"kind",-9} {"pid",-8} {"state",-15} {"up",-9} {"url",-28} log");
            foreach (var s in servers)
            {
                var state = !ServerProcess.IsAlive(s.Pid) ? "exited" : await AnswersAsync(http, s, ct) ? "ready" : "not answering";
                var up = DateTimeOffset.TryParse(s.StartedAt, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                    ? Uptime(DateTimeOffset.UtcNow - at) : "?";
                text.AppendLine($"{s.Name,-12} {s.Kind,-9} {s.Pid,-8} {state,-15} {up,-9} {s.BaseUrl,-28} {s.Log}");
            }
            Console.Write(text);
            return 0;
        });
        return command;
    }

    private static Command Stop()
    {
        var name = new Argument<string?>("name") { Description = "the server (default: the only one running)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "stop every server ipw serve start started" };
        var command = new Command("stop", "Stop a server ipw serve start started: SIGTERM, then SIGKILL after 10 s") { name, all };
        command.SetAction(async (parse, _) =>
        {
            var known = ServedServers.All();
            IReadOnlyList<ServedServer> targets = parse.GetValue(name) is { } one
                ? [ServedServers.Find(one) ?? throw new UserError($"no server named '{one}' (ipw serve status lists them)")]
                : parse.GetValue(all) || known.Count <= 1 ? known
                : throw new UserError($"{known.Count} servers were started ({string.Join(", ", known.Select(s => s.Name))}): name one, or give --all");
            if (targets.Count == 0) Console.WriteLine("no servers started by ipw serve start");
            foreach (var s in targets)
            {
                var alive = ServerProcess.IsAlive(s.Pid);
                if (alive) await ServerProcess.StopAsync(s.Pid, LaunchedServer.StopGrace);
                ServedServers.Forget(s.Name);
                Console.WriteLine(alive ? $"stopped {s.Name} (pid {s.Pid}); its log: {s.Log}" : $"{s.Name} had already exited; its log: {s.Log}");
            }
            return 0;
        });
        return command;
    }

    private static async Task<bool> AnswersAsync(HttpClient http, ServedServer s, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(s.Url + ServerRecipe.Find(s.Kind).ReadyPath, ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Ollama loads a model on its first request: an empty prompt loads it now, so a profile's first query does not.</summary>
    private static async Task LoadOllamaModelAsync(string origin, string model, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        var body = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { model, stream = false }), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(origin + "/api/generate", body, ct);
        if (!response.IsSuccessStatusCode)
            throw new UserError($"ollama could not load '{model}' (HTTP {(int)response.StatusCode}: {(await response.Content.ReadAsStringAsync(ct)).Trim()}); is it pulled? ollama pull {model}");
    }

    private static string Uptime(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.Seconds}s";
}
