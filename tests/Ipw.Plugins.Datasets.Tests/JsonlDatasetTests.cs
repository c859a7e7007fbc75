using Ipw.Abstractions;

namespace Ipw.Plugins.Datasets.Tests;

public sealed class JsonlDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ipw-jsonl-").FullName;

    private string Write(params string[] lines)
    {
        var path = Path.Combine(_dir, $"d{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static IDataset Open(string path, params (string, string)[] settings) =>
        new JsonlDataset(new DatasetOptions(path, settings.ToDictionary(s => s.Item1, s => s.Item2)));

    [Fact]
    public void Rows_become_items_with_the_usual_field_names()
    {
        var path = Write(
            """{"id": "q1", "problem": "What is 2+3?", "answer": 5, "subject": "math"}""",
            "",
            """{"question": "Capital of France?", "answer": "Paris"}""");
        var items = Open(path, ("grader", "exact")).Items().ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal("q1", items[0].Id);
        Assert.Equal("What is 2+3?", items[0].Prompt);
        Assert.Equal("5", items[0].Reference);
        Assert.Equal("exact", items[0].Grader);
        Assert.Equal("math", items[0].Subject);
        Assert.Equal("line-3", items[1].Id); // no id: the line number (blank lines count)
        Assert.Null(items[1].Subject);
        Assert.Equal("jsonl:" + Path.GetFileName(path), Open(path).Identity);
    }

    [Fact]
    public void Messages_fields_and_per_row_graders_are_mapped()
    {
        var path = Write("""{"conv": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "gold": "B", "how": "choice"}""");
        var item = Open(path, ("messages", "conv"), ("reference", "gold"), ("grader_field", "how")).Items().Single();
        Assert.Equal(["system", "user"], item.Messages.Select(m => m.Role));
        Assert.Equal("B", item.Reference);
        Assert.Equal("choice", item.Grader);
    }

    [Theory]
    [InlineData("""{"prompt": "ok"}|{"prompt": "broken""", "line 2: not valid JSON")]
    [InlineData("""{"prompt": "ok"}|[1, 2]""", "line 2: expected a JSON object, got array")]
    [InlineData("""{"prompt": "ok"}|{"text": "no prompt"}""", "line 2: no prompt field (looked for prompt, problem, question, input, instruction, messages, conversations, conversation; set prompt= or messages=; fields: text)")]
    [InlineData("""{"prompt": {"nested": 1}}""", "line 1: 'prompt' must be text or a number, got a record")]
    public void Malformed_rows_name_the_file_and_line_before_anything_runs(string content, string expected)
    {
        var path = Write(content.Split('|'));
        var e = Assert.Throws<PluginConfigurationException>(() => Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_settings_and_missing_files_are_errors()
    {
        var path = Write("""{"prompt": "x"}""");
        Assert.Contains("unknown setting 'colour'", Assert.Throws<PluginConfigurationException>(() => Open(path, ("colour", "red"))).Message);
        Assert.Contains("no such file", Assert.Throws<PluginConfigurationException>(() => Open(Path.Combine(_dir, "nope.jsonl"))).Message);
        Assert.Contains("sample must be", Assert.Throws<PluginConfigurationException>(() => Open(path, ("sample", "0"))).Message);
        Assert.Contains("--dataset-path", Assert.Throws<PluginConfigurationException>(() => new JsonlDataset(new DatasetOptions(null, new Dictionary<string, string>()))).Message);
    }

    [Fact]
    public void Shuffle_and_sample_are_seeded_and_keep_line_numbers()
    {
        var path = Write(Enumerable.Range(1, 200).Select(i => $$"""{"prompt": "p{{i}}"}""").ToArray());
        var a = Open(path, ("shuffle", "true"), ("seed", "7"), ("sample", "20")).Items().Select(i => i.Prompt).ToList();
        var b = Open(path, ("shuffle", "true"), ("seed", "7"), ("sample", "20")).Items().Select(i => i.Prompt).ToList();
        var c = Open(path, ("shuffle", "true"), ("seed", "8"), ("sample", "20")).Items().Select(i => i.Prompt).ToList();
        Assert.Equal(20, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(Enumerable.Range(1, 20).Select(i => $"p{i}"), a);
        var shuffled = Open(path, ("shuffle", "true"), ("seed", "7")).Items().ToList();
        Assert.All(shuffled, item => Assert.Equal($"p{item.Id["line-".Length..]}", item.Prompt));
        Assert.Equal(20, Open(path, ("sample", "20")).Count);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"p{i}"), Open(path, ("sample", "20")).Items().Select(i => i.Prompt));
    }

    // Found by ReaderMutationTests, kept as regressions.
    [Fact]
    public void Invalid_utf8_or_a_lone_surrogate_is_a_clear_error_naming_the_line()
    {
        var path = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllBytes(path, [.. """{"question": "ok"}"""u8, (byte)'\n', .. """{"question": "caf"""u8, 0xC3, .. "\"}\n"u8]);
        var e = Assert.Throws<PluginConfigurationException>(() => Open(path).Items().ToList());
        Assert.Equal($"{path} line 2: invalid UTF-8", e.Message);
        var surrogate = Write("""{"question": "half \ud800 of a pair"}""");
        Assert.Contains("line 1", Assert.Throws<PluginConfigurationException>(() => Open(surrogate).Items().ToList()).Message);
    }

    [Fact]
    public void A_message_with_a_name_given_twice_keeps_the_last_value()
    {
        var path = Write("""{"messages": [{"role": "user", "content": "first", "content": "second"}]}""");
        var item = Assert.Single(Open(path).Items().ToList());
        Assert.Equal("second", item.Messages!.Single().Content);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
