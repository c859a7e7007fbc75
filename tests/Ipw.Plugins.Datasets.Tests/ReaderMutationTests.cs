using System.Text;
using CsCheck;
using Ipw.Abstractions;
using Ipw.Tests;

namespace Ipw.Plugins.Datasets.Tests;

/// <summary>
/// The JSONL and CSV readers fed mutated datasets (bytes flipped, quotes, braces, separators and line breaks inserted,
/// invalid UTF-8, cuts, repeated slices; CsCheck shrinks a failure to the smallest file). A reader may refuse a file only
/// with a <see cref="PluginConfigurationException"/>, which the CLI prints as one line naming the file and row.
/// </summary>
public sealed class ReaderMutationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ipw-mutate-").FullName;

    private static readonly string[] Jsonl =
    [
        """{"id": "q1", "problem": "What is 2+3?", "answer": 5, "subject": "math", "grader": "numeric:0.01"}""" + "\n" +
        """{"question": "Capital of France?", "answer": "Paris"}""" + "\n\n" +
        """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi \u00e9"}], "reference": "hello"}""" + "\n",
        """{"conversations": [{"from": "human", "value": "Name a colour"}, {"from": "gpt", "value": "blue"}]}""" + "\n" +
        """{"prompt": "x", "max_tokens": 16, "answer": null}""" + "\n",
    ];

    private static readonly string[] Csv =
    [
        "id,question,answer,subject\nq1,\"What is 2+3, exactly?\",5,math\nq2,\"Say \"\"hi\"\"\",hi,chat\n",
        "prompt;reference\nline one;1\n\"multi\nline\";2\n",
    ];

    private static readonly byte[] Specials = [(byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)',', (byte)';', (byte)'\n', (byte)'\r', (byte)'\\', 0, 0xC3, 0xFF];

    private static Gen<byte[]> Mutated(string[] corpus) => Mutations.Of([.. corpus.Select(Encoding.UTF8.GetBytes)], Specials, maxEdits: 6);

    private void Read(byte[] bytes, string extension, Func<DatasetOptions, IDataset> open, Dictionary<string, string>? settings = null)
    {
        var path = Path.Combine(_dir, $"d{Environment.CurrentManagedThreadId}{extension}");
        File.WriteAllBytes(path, bytes);
        try
        {
            _ = open(new DatasetOptions(path, settings ?? [])).Items().ToList();
        }
        catch (PluginConfigurationException)
        {
            // Refused with a message naming the file and row: the one allowed outcome besides items.
        }
    }

    [Fact]
    public void Jsonl_refuses_mutated_files_only_with_a_clear_error() =>
        Mutated(Jsonl).Sample(bytes => Read(bytes, ".jsonl", o => new JsonlDataset(o)), iter: 5000, threads: 1);

    [Fact]
    public void Csv_refuses_mutated_files_only_with_a_clear_error() =>
        Mutated(Csv).Sample(bytes => Read(bytes, ".csv", o => new CsvDataset(o)), iter: 5000, threads: 1);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
