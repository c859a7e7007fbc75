using Ipw.Core.Serving;

namespace Ipw.Core.Tests;

public sealed class ServerLaunchTests
{
    [Theory]
    [InlineData("vllm serve m --api-key sk-1 --port 8000", "vllm serve m --api-key (not recorded) --port 8000")]
    [InlineData("llama-server --api-key=abc -m x.gguf", "llama-server --api-key=(not recorded) -m x.gguf")]
    [InlineData("tgi --hf-token t --max-tokens 5 --password p", "tgi --hf-token (not recorded) --max-tokens 5 --password (not recorded)")]
    [InlineData("llama-server -m model.gguf --n-predict 64", "llama-server -m model.gguf --n-predict 64")]
    public void A_recorded_command_leaves_out_the_values_of_secret_options(string command, string recorded) =>
        Assert.Equal(recorded, LaunchedServer.Redacted(command));

    [Fact]
    public void Each_recipe_makes_its_servers_command_line()
    {
        var (llama, none) = ServerRecipe.Find("llamacpp").CommandLine("llama-server", "/m/my model.gguf", "127.0.0.1", 8080, ["-c", "2048"]);
        Assert.Equal("llama-server -m '/m/my model.gguf' --host 127.0.0.1 --port 8080 -c 2048", llama);
        Assert.Empty(none);
        var (vllm, _) = ServerRecipe.Find("vllm").CommandLine("vllm", "Qwen/Qwen3-0.6B", "0.0.0.0", 8001, []);
        Assert.Equal("vllm serve Qwen/Qwen3-0.6B --host 0.0.0.0 --port 8001", vllm);
        var (ollama, env) = ServerRecipe.Find("ollama").CommandLine("/opt/ollama", "llama3.2", "127.0.0.1", 11500, []);
        Assert.Equal("/opt/ollama serve", ollama);
        Assert.Equal("127.0.0.1:11500", env["OLLAMA_HOST"]);
        Assert.Equal("http://127.0.0.1:11500", ServerRecipe.Find("ollama").BaseUrl("127.0.0.1", 11500));
        Assert.Equal("http://127.0.0.1:8080/v1", ServerRecipe.Find("llamacpp").BaseUrl("127.0.0.1", 8080));
        Assert.Equal("'it'\\''s'", ServerRecipe.Quote("it's"));
        Assert.Throws<UserError>(() => ServerRecipe.Find("llamacpp").CommandLine("llama-server", null, "127.0.0.1", 8080, []));
    }

    [Fact]
    public async Task A_started_server_writes_to_its_log_and_stops_on_sigterm()
    {
        var dir = Directory.CreateTempSubdirectory("ipw-serverprocess-").FullName;
        try
        {
            var log = Path.Combine(dir, "server.log");
            // A "server" that says something, then waits; the shell's exec makes the process ipw holds the program itself.
            using var server = ServerProcess.Start("sh -c 'echo \"up on $MARK\"; trap \"echo bye; exit 0\" TERM; while true; do sleep 0.05; done'", log,
                new Dictionary<string, string> { ["MARK"] = "port 1" });
            for (var i = 0; i < 100 && !File.ReadAllText(log).Contains("up on port 1", StringComparison.Ordinal); i++) await Task.Delay(20);
            Assert.Equal("up on port 1", server.Tail());
            Assert.True(ServerProcess.IsAlive(server.Pid));
            var code = await server.StopAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(0, code);
            Assert.Contains("bye", File.ReadAllText(log));
            Assert.False(ServerProcess.IsAlive(server.Pid));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
