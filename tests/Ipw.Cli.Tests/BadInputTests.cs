namespace Ipw.Cli.Tests;

public sealed class BadInputTests : IDisposable
{
    private readonly TempDir _work = new();

    public static TheoryData<string[], string> Cases => new()
    {
        { ["profile", "--client", "nope"], "unknown client 'nope'" },
        { ["profile", "--dataset", "nope"], "unknown dataset 'nope'" },
        { ["profile", "--no-such-option"], "--no-such-option" },
        { ["profile", "--model", "missing/model.gguf"], "does not exist" },
        { ["profile", "--model", "not-a-model.gguf"], "not a GGUF file (it does not start with GGUF)" },
        { ["profile", "--max-queries", "0"], "--max-queries must be at least 1" },
        { ["profile", "--max-queries", "many"], "--max-queries: 'many' is not a whole number" },
        { ["profile", "--temperature", "warm"], "--temperature: 'warm' is not a number" },
        { ["profile", "--max-querys", "3"], "unknown option '--max-querys'; did you mean '--max-queries'?" },
        { ["profile", "--client-base-url", "http://127.0.0.1:8000/v1"], "llamasharp runs in-process and takes no --client-base-url (http://127.0.0.1:8000/v1); did you mean --client openai?" },
        { ["profile", "--client-option", "threads"], "key=value" },
        { ["profile", "--dataset-option", "colour=blue"], "unknown setting 'colour'" },
        { ["profile", "--dataset-option", "subjects=poetry"], "poetry" },
        { ["profile", "--threads", "0"], "threads must be at least 1" },
        { ["profile", "--gpus", "first"], "--gpus expects GPU indices" },
        { ["list", "gadgets"], "gadgets" },
        { ["frobnicate"], "unknown command 'frobnicate' (see 'ipw --help')" },
        { ["profil", "--max-queries", "3"], "unknown command 'profil'; did you mean 'profile'?" },
        { ["nosuch", "--help"], "unknown command 'nosuch'" },
        { ["energy", "tset"], "unknown command 'tset'; did you mean 'test'? (see 'ipw energy --help')" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_gives_one_line_exit_code_2_and_no_stack_trace(string[] args, string mentions)
    {
        File.WriteAllText(_work.Combine("not-a-model.gguf"), "this is text, not a model");
        var r = IpwProcess.Run(_work.Path, args[0] == "profile" ? [.. args, "--output-dir", _work.Combine("runs")] : args);
        AssertOneLineError(r, mentions);
    }

    [Fact]
    public void Unreadable_model_path_is_reported_before_anything_runs()
    {
        if (Environment.UserName == "root") // root reads any file: use a path root cannot read either, a folder
        {
            Directory.CreateDirectory(_work.Combine("model-folder.gguf"));
            AssertOneLineError(IpwProcess.Run(_work.Path, ["profile", "--model", "model-folder.gguf"]), "is a folder");
            return;
        }
        File.WriteAllText(_work.Combine("secret.gguf"), "GGUF");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_work.Combine("secret.gguf"), UnixFileMode.None);
        AssertOneLineError(IpwProcess.Run(_work.Path, ["profile", "--model", "secret.gguf"]), "not readable");
    }

    [Fact]
    public void A_truncated_gguf_is_one_line_before_llama_cpp_sees_it()
    {
        // GGUF v3 naming one F32 tensor of 1,024 values, cut before its data.
        using (var w = new BinaryWriter(File.Create(_work.Combine("cut.gguf"))))
        {
            w.Write("GGUF"u8);
            w.Write(3u);
            w.Write(1UL);
            w.Write(0UL);
            w.Write(1UL);
            w.Write("w"u8);
            w.Write(1u);
            w.Write(1024UL);
            w.Write(0u);
            w.Write(0UL);
            w.Write(new byte[64]);
        }
        AssertOneLineError(IpwProcess.Run(_work.Path, ["profile", "--model", "cut.gguf", "--output-dir", _work.Combine("runs")]),
            "model file 'cut.gguf': tensor 'w' needs 4096 bytes at 64, past the end of the file (121 bytes; truncated?)");
        Assert.False(Directory.Exists(_work.Combine("runs")) && Directory.EnumerateFileSystemEntries(_work.Combine("runs")).Any());
    }

    [Fact]
    public void Unwritable_output_folder_is_reported_before_the_model_loads()
    {
        // A path under a regular file can never be created, even by root.
        File.WriteAllText(_work.Combine("a-file"), "");
        var r = IpwProcess.Run(_work.Path, ["profile", "--output-dir", _work.Combine("a-file", "runs")]);
        AssertOneLineError(r, "is not writable");
    }

    private static void AssertOneLineError(IpwProcess.Result r, string mentions)
    {
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{r.Stderr}");
        Assert.StartsWith("ipw: error: ", lines[0]);
        Assert.Contains(mentions, lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr + r.Stdout);
    }

    public void Dispose() => _work.Dispose();
}
