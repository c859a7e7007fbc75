using System.Text;
using System.Text.Json;
using Ipw.Abstractions;
using Ipw.Abstractions.Models;
using Ipw.Core;
using Ipw.Core.Analysis;
using Ipw.Core.Plugins;
using Ipw.Core.Summary;
using Ipw.Plugins.Datasets;
using Ipw.Plugins.Http;

namespace Ipw.Fuzz;

/// <summary>A parser fed one input. It returns when the input is read or refused the documented way; anything it throws
/// is a defect (a crash, to the fuzzer).</summary>
/// <param name="Separate">Run each input in a child process (SharpFuzz's out-of-process mode): for readers built on
/// third-party format libraries, where an input may hang a thread that cannot be stopped.</param>
internal sealed record Target(string Name, string Reads, Action<byte[]> Run, bool Separate = false);

/// <summary>
/// Every parser that reads outside input, with the one way each may refuse it: the stream parsers as a protocol fault
/// (a JSON error or a protocol violation, which the client records as <c>protocol</c>), the dataset readers with a
/// message naming the file and row, summary.json as a JSON error, plugins.json and a run folder with a one-line user
/// error. Files are written to a scratch folder of this process and read from there, as the CLI reads them.
/// </summary>
internal static class Targets
{
    private static readonly string Scratch = Directory.CreateTempSubdirectory("ipw-fuzz-").FullName;

    public static readonly IReadOnlyList<Target> All =
    [
        new("sse", "OpenAI-style Server-Sent Events and their chunk JSON (vLLM, SGLang, llama.cpp, TGI, LM Studio, OpenAI)", Sse),
        new("ndjson", "NDJSON lines and Ollama's chunk JSON", Ndjson),
        new("prometheus", "vLLM's /metrics Prometheus text", bytes => ServerMetrics.Parse(Encoding.UTF8.GetString(bytes))),
        new("jsonl", "a JSONL dataset", bytes => Dataset(bytes, ".jsonl", o => new JsonlDataset(o))),
        new("csv", "a CSV dataset", bytes => Dataset(bytes, ".csv", o => new CsvDataset(o))),
        new("sharegpt", "a ShareGPT JSON dataset", bytes => Dataset(bytes, ".json", o => new ShareGptDataset(o))),
        new("hf-arrow", "a Hugging Face Arrow stream file", bytes => Dataset(bytes, ".arrow", o => new HfDataset(o)), Separate: true),
        new("hf-parquet", "a Parquet file (Hugging Face Hub layout)", bytes => Dataset(bytes, ".parquet", o => new HfDataset(o)), Separate: true),
        new("powermetrics", "a plist sample from Apple's powermetrics", bytes => Ipw.Plugins.Energy.PowermetricsSource.Parse(Encoding.UTF8.GetString(bytes))),
        new("summary-json", "a run's summary.json", SummaryJson),
        new("plugins-json", "plugins.json", PluginsJson),
        new("run-data", "a run folder's data file, as ipw analyze opens it", RunData, Separate: true),
        new("gguf", "a GGUF model file's header, checked before llama.cpp maps the file", bytes => ModelFile(bytes, GgufFile.Read)),
        new("safetensors", "a safetensors model file's header, checked before libtorch loads the file", bytes => ModelFile(bytes, SafetensorsFile.Read)),
        new("prometheus-api", "a Prometheus HTTP API instant-query response (the energy plugin's prometheus source)", PrometheusApi),
    ];

    public static Target Named(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no fuzz target '{name}' (targets: {string.Join(", ", All.Select(t => t.Name))})");

    private static void Sse(byte[] bytes)
    {
        var state = new StreamState();
        try
        {
            OpenAiClient.ReadSseAsync(new MemoryStream(bytes), state, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is JsonException or HttpInferenceClient.ProtocolViolation)
        {
        }
        TextWithin(bytes, state);
    }

    private static void Ndjson(byte[] bytes)
    {
        var state = new StreamState();
        try
        {
            NdjsonReader.ReadAsync(new MemoryStream(bytes), line => OllamaChunkParser.Parse(line, state), () => state.Completed, CancellationToken.None)
                .GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is JsonException or HttpInferenceClient.ProtocolViolation)
        {
        }
        TextWithin(bytes, state);
    }

    private static void ModelFile(byte[] bytes, Func<Stream, ModelFileInfo> read)
    {
        try
        {
            var info = read(new MemoryStream(bytes));
            // What the header vouches for lies inside the file.
            foreach (var t in info.Tensors)
                if (t.Offset < 0 || t.Offset + (t.Bytes ?? 0) > bytes.Length) throw new InvalidOperationException($"tensor '{t.Name}' placed outside the file");
        }
        catch (ModelFileException)
        {
        }
    }

    private static void PrometheusApi(byte[] bytes)
    {
        try
        {
            _ = Ipw.Plugins.Energy.PrometheusSource.ParseQuery(new MemoryStream(bytes), 200);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
        }
    }

    /// <summary>The answer's text comes from the input: never more of it than was sent.</summary>
    private static void TextWithin(byte[] bytes, StreamState state)
    {
        var text = Encoding.UTF8.GetByteCount(state.Content) + Encoding.UTF8.GetByteCount(state.Reasoning ?? "");
        if (text > bytes.Length) throw new InvalidOperationException($"{text} bytes of answer from {bytes.Length} bytes of stream");
    }

    private static void Dataset(byte[] bytes, string extension, Func<DatasetOptions, IDataset> open)
    {
        var path = Path.Combine(Scratch, "dataset" + extension);
        File.WriteAllBytes(path, bytes);
        try
        {
            _ = open(new DatasetOptions(path, new Dictionary<string, string>())).Items().ToList();
        }
        catch (PluginConfigurationException e) when (e.Message.Contains(path, StringComparison.Ordinal))
        {
        }
    }

    private static void SummaryJson(byte[] bytes)
    {
        try
        {
            _ = SummaryFile.Deserialize(Encoding.UTF8.GetString(bytes));
        }
        catch (JsonException)
        {
        }
    }

    private static void PluginsJson(byte[] bytes)
    {
        var path = Path.Combine(Scratch, "plugins.json");
        File.WriteAllBytes(path, bytes);
        try
        {
            _ = PluginManifest.Load(path);
        }
        catch (UserError e) when (e.Message.Contains(path, StringComparison.Ordinal))
        {
        }
    }

    /// <summary>Made on first use, inside the fuzzer's loop: instrumented code must not run before SharpFuzz sets up
    /// its coverage map.</summary>
    private static readonly Lazy<string> Run = new(MakeRunFolder);

    private static string MakeRunFolder()
    {
        var folder = Path.Combine(Scratch, "run");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, Ipw.Core.Runs.RunStore.SummaryFileName),
            SummaryFile.Serialize(new RunSummary { SchemaVersion = RunSummary.CurrentSchema, Status = "completed" }));
        return folder;
    }

    private static void RunData(byte[] bytes)
    {
        File.WriteAllBytes(Path.Combine(Run.Value, Ipw.Core.Runs.RunStore.DataFileName), bytes);
        try
        {
            var view = RunView.Open(Run.Value);
            foreach (var column in view.Columns)
            {
                // Each column as the analyses read it: numbers, else text; a column of neither is refused by name.
                try
                {
                    _ = view.Numbers(column).Length;
                    continue;
                }
                catch (ArgumentException e) when (e.ParamName == "column")
                {
                }
                try
                {
                    _ = view.Texts(column).Count;
                }
                catch (ArgumentException e) when (e.ParamName == "column")
                {
                }
            }
        }
        catch (UserError)
        {
        }
    }
}
