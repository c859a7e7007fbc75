using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Ipw.Abstractions;
using Microsoft.ML.Tokenizers;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using Field = Apache.Arrow.Field;
using Schema = Apache.Arrow.Schema;

namespace Ipw.Plugins.Datasets.Tests;

/// <summary>The csv, sharegpt, hf (Arrow and Parquet) and synthetic loaders, on files the tests write.</summary>
public sealed class LoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ipw-loaders-").FullName;

    private string File_(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static Dictionary<string, string> Settings((string, string)[] settings) => settings.ToDictionary(s => s.Item1, s => s.Item2);

    private static string Error(Func<IDataset> open) => Assert.Throws<PluginConfigurationException>(() => open()).Message;

    // ------------------------------------------------------------------ csv

    private static CsvDataset Csv(string path, params (string, string)[] s) => new(new DatasetOptions(path, Settings(s)));

    [Fact]
    public void Csv_rows_map_with_quoted_commas_newlines_and_empty_cells()
    {
        var path = File_("q.csv", "id,question,answer,subject\n"
            + "q1,\"Add 2, 3 and 4.\",9,math\n"
            + "q2,\"Two lines:\nfirst, then second\",,writing\n"
            + "q3,# a heading is a prompt,x,\n");
        var items = Csv(path, ("grader", "numeric")).Items().ToList();
        Assert.Equal(["q1", "q2", "q3"], items.Select(i => i.Id));
        Assert.Equal("Add 2, 3 and 4.", items[0].Prompt);
        Assert.Equal(("9", "numeric", "math"), (items[0].Reference, items[0].Grader, items[0].Subject));
        Assert.Equal("Two lines:\nfirst, then second", items[1].Prompt);
        Assert.Null(items[1].Reference); // an empty cell is a missing value, so no grader either
        Assert.Null(items[1].Grader);
        Assert.Equal("# a heading is a prompt", items[2].Prompt);
        Assert.Null(items[2].Subject);
        Assert.Equal("csv:q.csv", Csv(path).Identity);
    }

    [Fact]
    public void Csv_takes_a_delimiter_and_a_json_conversation_cell()
    {
        var path = File_("t.tsv", "text\tconv\nignored\t[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello!\"}]\n");
        var item = Csv(path, ("delimiter", "tab"), ("messages", "conv")).Items().Single();
        Assert.Equal("Hi", item.Prompt);
        Assert.Equal("Hello!", item.Reference); // the reply that followed the query
        Assert.Equal("row-1", item.Id);
        Assert.Equal("ignored", item.Metadata["text"]);
    }

    [Theory]
    [InlineData("prompt,answer\nfine,1\nbroken\n", "row 2: 1 fields, the header has 2")]
    [InlineData("question,answer\nfine,1\n,2\n", "row 2: 'question' is empty")]
    [InlineData("words,answer\nfine,1\n", "row 1: no prompt field (looked for prompt, problem, question, input, instruction")]
    [InlineData("prompt,conv\nx,not json\n", "row 1: 'conv' is text but not a JSON list of messages")]
    public void Malformed_csv_names_the_file_and_row(string content, string expected)
    {
        var path = File_($"bad{Guid.NewGuid():N}.csv", content);
        var message = Error(() => expected.Contains("conv") ? Csv(path, ("messages", "conv")) : Csv(path));
        Assert.Contains(path, message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void Every_loader_refuses_unknown_settings_and_missing_files()
    {
        var csv = File_("u.csv", "prompt\nx\n");
        Assert.Contains("csv: unknown setting 'colour' (known: prompt, messages, turns,", Error(() => Csv(csv, ("colour", "red"))));
        Assert.Contains("no such file", Error(() => Csv(Path.Combine(_dir, "none.csv"))));
        Assert.Contains("delimiter must be one character", Error(() => Csv(csv, ("delimiter", ";;"))));
        Assert.Contains("turns must be first, last or all", Error(() => Csv(csv, ("turns", "middle"))));
        Assert.Contains("sharegpt: unknown setting 'split'", Error(() => ShareGpt(File_("u.json", "[]"), ("split", "train"))));
        Assert.Contains("hf: unknown setting 'delimiter'", Error(() => Hf(_dir, ("delimiter", ","))));
        Assert.Contains("synthetic: unknown setting 'sample'", Error(() => Synthetic(("sample", "3"))));
        Assert.Contains("no rows", Error(() => Csv(File_("empty.csv", "prompt\n"))));
    }

    [Fact]
    public void Shuffle_and_sample_are_seeded_permutations_for_every_file_loader()
    {
        var path = File_("many.csv", "prompt\n" + string.Concat(Enumerable.Range(1, 300).Select(i => $"p{i}\n")));
        List<string> Take(params (string, string)[] s) => Csv(path, s).Items().Select(i => i.Prompt).ToList();
        var a = Take(("shuffle", "true"), ("seed", "3"), ("sample", "25"));
        Assert.Equal(25, a.Count);
        Assert.Equal(a, Take(("shuffle", "true"), ("seed", "3"), ("sample", "25")));
        Assert.NotEqual(a, Take(("shuffle", "true"), ("seed", "4"), ("sample", "25")));
        var all = Take(("shuffle", "true"), ("seed", "3"));
        Assert.Equal(a, all.Take(25)); // a sample is the head of the same permutation
        Assert.Equal(Enumerable.Range(1, 300).Select(i => $"p{i}").Order(), all.Order());
        Assert.NotEqual(Enumerable.Range(1, 300).Select(i => $"p{i}"), all);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"p{i}"), Take(("sample", "5")));
    }

    // ------------------------------------------------------------------ sharegpt

    private static ShareGptDataset ShareGpt(string path, params (string, string)[] s) => new(new DatasetOptions(path, Settings(s)));

    private const string Conversations = """
        [
          {"id": "c1", "conversations": [
             {"from": "system", "value": "Be kind."},
             {"from": "human", "value": "First question?"}, {"from": "gpt", "value": "First answer."},
             {"from": "human", "value": "Second question?"}, {"from": "gpt", "value": "Second answer, longer."}]},
          {"id": "c2", "conversations": [{"from": "human", "value": "Only one."}]}
        ]
        """;

    [Fact]
    public void Sharegpt_sends_the_first_human_turn_and_keeps_the_reply_as_reference()
    {
        var path = File_("sg.json", Conversations);
        var items = ShareGpt(path).Items().ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal(["system", "user"], items[0].Messages.Select(m => m.Role));
        Assert.Equal("First question?", items[0].Prompt);
        Assert.Equal("First answer.", items[0].Reference);
        Assert.Null(items[0].Grader);
        Assert.Equal("13", items[0].Metadata["reply_chars"]);
        Assert.Null(items[1].Reference);

        var last = ShareGpt(path, ("turns", "last")).Items().First();
        Assert.Equal(["system", "user", "assistant", "user"], last.Messages.Select(m => m.Role));
        Assert.Equal("Second answer, longer.", last.Reference);
        Assert.False(last.ReplayTurns);

        // turns=all: the whole conversation, to be replayed turn by turn (each turn's reply its reference).
        var all = ShareGpt(path, ("turns", "all")).Items().First();
        Assert.True(all.ReplayTurns);
        Assert.Equal(["system", "user", "assistant", "user", "assistant"], all.Messages.Select(m => m.Role));
        Assert.Null(all.Reference);
        Assert.Equal("2", all.Metadata["turns"]);

        var lines = File_("sg.jsonl", """{"id": "l1", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}]}""" + "\n");
        Assert.Equal(("Hi", "Hey"), ShareGpt(lines).Items().Select(i => (i.Prompt, i.Reference)).Single());
    }

    // Found by coverage-guided fuzzing (scripts/fuzz.sh, target sharegpt), kept as a regression: System.Text.Json reads
    // invalid UTF-8 inside a string only when the string is taken, as an InvalidOperationException.
    [Fact]
    public void Sharegpt_with_invalid_utf8_in_a_turn_is_a_clear_error_naming_the_item()
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllBytes(path, [.. """[{"conversations": [{"from": "human", "value": "ok"}]}, {"conversations": [{"from": "human", "value": "caf"""u8, 0xC3, .. "\"}]}]"u8]);
        var e = Assert.Throws<PluginConfigurationException>(() => ShareGpt(path).Items().ToList());
        Assert.StartsWith($"{path} item 2: ", e.Message);
    }

    [Theory]
    [InlineData("[\n {\"conversations\": [{\"from\": \"human\", \"value\": \"ok\"}]},\n {\"conversations\": oops}\n]", "line 3: not valid JSON")]
    [InlineData("[{\"conversations\": [{\"from\": \"human\", \"value\": \"ok\"}]}, {\"conversations\": [{\"from\": \"gpt\", \"value\": \"no question\"}]}]",
        "item 2: 'conversations' has no user (human) message")]
    [InlineData("[{\"conversations\": [{\"speaker\": \"human\"}]}]", "item 1: each message in 'conversations' needs a role (or from) and a content (or value)")]
    [InlineData("[1]", "item 1: expected a JSON object, got number")]
    public void Malformed_sharegpt_names_the_file_and_item_or_line(string content, string expected)
    {
        var path = File_($"bad{Guid.NewGuid():N}.json", content);
        var message = Error(() => ShareGpt(path));
        Assert.Contains(path, message);
        Assert.Contains(expected, message);
    }

    // ------------------------------------------------------------------ hf: save_to_disk (Arrow) and Parquet

    private static HfDataset Hf(string path, params (string, string)[] s) => new(new DatasetOptions(path, Settings(s)));

    private static readonly StructType MetadataType = new([new Field("level", Int64Type.Default, true), new Field("source", StringType.Default, true)]);

    /// <summary>An Arrow stream file in the reference tool's layout: problem, answer, subject and a nested metadata record.</summary>
    private static void WriteArrow(string path, int first, int count, int batches)
    {
        var schema = new Schema([
            new Field("problem", StringType.Default, true), new Field("answer", StringType.Default, true),
            new Field("subject", StringType.Default, true), new Field("metadata", MetadataType, true)], null);
        using var stream = File.Create(path);
        using var writer = new ArrowStreamWriter(stream, schema);
        var per = count / batches;
        for (var b = 0; b < batches; b++)
        {
            var rows = Enumerable.Range(first + b * per, per).ToArray();
            var level = new Int64Array.Builder().AppendRange(rows.Select(i => (long)(i % 5))).Build();
            var source = new StringArray.Builder().AppendRange(rows.Select(i => $"gen-{i % 2}")).Build();
            var metadata = new StructArray(MetadataType, per, [level, source], ArrowBuffer.Empty);
            writer.WriteRecordBatch(new RecordBatch(schema, [
                new StringArray.Builder().AppendRange(rows.Select(i => $"What is {i} + 1?")).Build(),
                new StringArray.Builder().AppendRange(rows.Select(i => $"{i + 1}")).Build(),
                new StringArray.Builder().AppendRange(rows.Select(i => i % 2 == 0 ? "math" : "arithmetic")).Build(),
                metadata], per));
        }
        writer.WriteEnd();
    }

    private string SaveToDisk(string folder, int rows)
    {
        var path = Path.Combine(_dir, folder);
        Directory.CreateDirectory(path);
        WriteArrow(Path.Combine(path, "data-00000-of-00002.arrow"), 0, rows / 2, 2);
        WriteArrow(Path.Combine(path, "data-00001-of-00002.arrow"), rows / 2, rows / 2, 1);
        File.WriteAllText(Path.Combine(path, "state.json"),
            """{"_data_files": [{"filename": "data-00000-of-00002.arrow"}, {"filename": "data-00001-of-00002.arrow"}], "_fingerprint": "x", "_split": null}""");
        File.WriteAllText(Path.Combine(path, "dataset_info.json"), "{}");
        return path;
    }

    [Fact]
    public void A_save_to_disk_folder_in_the_reference_layout_loads_across_files_and_batches()
    {
        var path = SaveToDisk("ref", 40);
        var ds = Hf(path, ("grader", "numeric"));
        Assert.Equal(40, ds.Count);
        var items = ds.Items().ToList();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"What is {i} + 1?"), items.Select(i => i.Prompt));
        Assert.Equal(("index-7", "8", "numeric", "arithmetic"), (items[7].Id, items[7].Reference, items[7].Grader, items[7].Subject));
        Assert.Equal("2", items[7].Metadata["metadata.level"]);
        Assert.Equal("gen-1", items[7].Metadata["metadata.source"]);
        Assert.Equal("hf:ref", ds.Identity);

        var shuffled = Hf(path, ("shuffle", "true"), ("seed", "1"), ("sample", "10")).Items().ToList();
        Assert.Equal(10, shuffled.Count);
        Assert.All(shuffled, i => Assert.Equal($"What is {i.Id["index-".Length..]} + 1?", i.Prompt));
        Assert.Equal(shuffled.Select(i => i.Id), Hf(path, ("shuffle", "true"), ("seed", "1"), ("sample", "10")).Items().Select(i => i.Id));
    }

    [Fact]
    public void A_dataset_dict_needs_a_split_when_it_has_several()
    {
        var root = Path.Combine(_dir, "dict");
        SaveToDisk(Path.Combine("dict", "train"), 20);
        SaveToDisk(Path.Combine("dict", "test"), 12);
        File.WriteAllText(Path.Combine(root, "dataset_dict.json"), """{"splits": ["train", "test"]}""");
        Assert.Contains("holds the splits train, test: choose one with --dataset-param split=NAME", Error(() => Hf(root)));
        Assert.Equal(12, Hf(root, ("split", "test")).Count);
        Assert.Contains("no split 'dev' (splits: train, test)", Error(() => Hf(root, ("split", "dev"))));
    }

    [Fact]
    public void Broken_hf_folders_and_files_say_what_is_wrong()
    {
        var path = SaveToDisk("broken", 20);
        File.Delete(Path.Combine(path, "data-00001-of-00002.arrow"));
        Assert.Contains("names data-00001-of-00002.arrow, which is missing", Error(() => Hf(path)));
        Assert.Contains("not a Hugging Face dataset folder", Error(() => Hf(Directory.CreateTempSubdirectory().FullName)));
        var garbage = File_("garbage.arrow", "this is not arrow at all, just some text long enough");
        Assert.Contains($"{garbage}: not a readable Arrow file", Error(() => Hf(garbage)));
        var badParquet = File_("bad.parquet", "PAR1 then nothing useful");
        Assert.Contains($"{badParquet}: not a readable Parquet file", Error(() => Hf(badParquet)));

        // A row without a prompt names the file and the row's index in the dataset.
        var schema = new Schema([new Field("problem", StringType.Default, true)], null);
        var holes = Path.Combine(_dir, "holes.arrow");
        using (var stream = File.Create(holes))
        using (var writer = new ArrowStreamWriter(stream, schema))
        {
            writer.WriteRecordBatch(new RecordBatch(schema, [new StringArray.Builder().Append("fine").AppendNull().Build()], 2));
            writer.WriteEnd();
        }
        Assert.Contains($"{holes} index 1: 'problem' is empty", Error(() => Hf(holes)));
    }

    [Fact]
    public void Parquet_files_load_by_row_group_with_nested_records()
    {
        var schema = new ParquetSchema(
            new DataField<string>("question"), new DataField<string>("answer"),
            new StructField("metadata", new DataField<long>("level"), new DataField<string>("source")));
        var rows = Enumerable.Range(0, 30).Select(i => (IDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["question"] = $"Q{i}",
            ["answer"] = $"A{i}",
            ["metadata"] = new Dictionary<string, object?> { ["level"] = (long)i % 3, ["source"] = "made" },
        }).ToList();
        var folder = Path.Combine(_dir, "hub", "data");
        Directory.CreateDirectory(folder);
        using (var stream = File.Create(Path.Combine(folder, "train-00000-of-00001.parquet")))
            ParquetSerializer.SerializeUntypedAsync(rows, schema, stream, new ParquetOptions { RowGroupSize = 8 }).GetAwaiter().GetResult();
        using (var stream = File.Create(Path.Combine(folder, "test-00000-of-00001.parquet")))
            ParquetSerializer.SerializeUntypedAsync(rows.Take(5).ToList(), schema, stream).GetAwaiter().GetResult();

        var hub = Path.Combine(_dir, "hub");
        var train = Hf(hub, ("split", "train"), ("grader", "exact")).Items().ToList();
        Assert.Equal(30, train.Count);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"Q{i}"), train.Select(i => i.Prompt));
        Assert.Equal(("A4", "exact", "1", "made"), (train[4].Reference, train[4].Grader, train[4].Metadata["metadata.level"], train[4].Metadata["metadata.source"]));
        Assert.Equal(35, Hf(hub).Count); // no split: every Parquet file, in name order
        Assert.Equal(5, Hf(Path.Combine(folder, "test-00000-of-00001.parquet")).Count);
    }

    // ------------------------------------------------------------------ synthetic

    private static SyntheticDataset Synthetic(params (string, string)[] s) => new(new DatasetOptions(null, Settings(s)));

    [Fact]
    public void Synthetic_prompts_have_exactly_the_drawn_token_counts()
    {
        var ds = Synthetic(("count", "40"), ("input_tokens", "uniform:5,3000"), ("output_tokens", "normal:64,16"), ("seed", "9"));
        var items = ds.Items().ToList();
        Assert.Equal(40, items.Count);
        var cl100k = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        foreach (var item in items)
        {
            var drawn = int.Parse(item.Metadata["input_tokens"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(drawn, 5, 3000);
            Assert.Equal(drawn, cl100k.CountTokens(item.Prompt)); // counted independently of the dataset
            Assert.Equal(int.Parse(item.Metadata["output_tokens"], System.Globalization.CultureInfo.InvariantCulture), item.MaxTokens);
            Assert.True(item.MaxTokens >= 1);
        }
        Assert.True(items.Select(i => i.Metadata["input_tokens"]).Distinct().Count() > 30, "lengths vary");
        Assert.Equal(items.Select(i => i.Prompt), Synthetic(("count", "40"), ("input_tokens", "uniform:5,3000"), ("output_tokens", "normal:64,16"), ("seed", "9")).Items().Select(i => i.Prompt));

        var o200k = Synthetic(("count", "3"), ("input_tokens", "777"), ("tokenizer", "o200k_base")).Items().ToList();
        Assert.All(o200k, i => Assert.Equal(777, TiktokenTokenizer.CreateForEncoding("o200k_base").CountTokens(i.Prompt)));
        Assert.All(o200k, i => Assert.Equal(128, i.MaxTokens));
    }

    /// <summary>The shipped word lists are exactly what the tokenizer gives: every lower-case word of 3 to 9 letters
    /// that the encoding keeps as one token with its leading space and without it, in token-id order. When
    /// Microsoft.ML.Tokenizers changes them, the list drawn now is written beside the test's output to replace
    /// plugins/Ipw.Plugins.Datasets/Synthetic/ENCODING.txt.</summary>
    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public void Synthetic_word_lists_are_the_tokenizers_one_token_words(string encoding)
    {
        var tokenizer = TiktokenTokenizer.CreateForEncoding(encoding);
        var drawn = new List<string>();
        var one = new int[1];
        for (var id = 0; id < 200_000; id++)
        {
            one[0] = id;
            string? w;
            try { w = tokenizer.Decode(one); }
            catch (Exception e) when (e is ArgumentException or KeyNotFoundException or InvalidOperationException) { continue; }
            if (w is { Length: >= 4 and <= 10 } && w[0] == ' ' && !w.AsSpan(1).ContainsAnyExceptInRange('a', 'z')
                && tokenizer.CountTokens(w) == 1 && tokenizer.CountTokens(w[1..]) == 1)
                drawn.Add(w);
        }
        var shipped = SyntheticDataset.Words(encoding);
        if (!shipped.SequenceEqual(drawn))
        {
            var path = Path.Combine(AppContext.BaseDirectory, encoding + ".txt");
            File.WriteAllText(path, string.Concat(drawn.Select(w => w[1..] + "\n")));
            Assert.Fail($"the shipped {encoding} words ({shipped.Length}) differ from the tokenizer's ({drawn.Count}); the tokenizer's are in {path}");
        }
        Assert.True(drawn.Count >= 5000, $"{drawn.Count} words");
    }

    [Theory]
    [InlineData("input_tokens", "0", "input_tokens must be N, normal:MEAN,SD or uniform:LOW,HIGH")]
    [InlineData("output_tokens", "uniform:10,5", "output_tokens must be N, normal:MEAN,SD or uniform:LOW,HIGH")]
    [InlineData("input_tokens", "gamma:1,2", "input_tokens must be")]
    [InlineData("count", "0", "count must be a whole number of at least 1")]
    [InlineData("tokenizer", "llama", "tokenizer must be cl100k_base or o200k_base")]
    public void Synthetic_settings_are_checked(string key, string value, string expected) =>
        Assert.Contains(expected, Error(() => Synthetic((key, value))));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
