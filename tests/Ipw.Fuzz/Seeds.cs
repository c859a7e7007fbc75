using System.Text;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Runs;
using Ipw.Core.Summary;
using Ipw.TestServer;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Ipw.Fuzz;

/// <summary>The starting corpus: the golden wire transcripts' streams and /metrics bodies, and a few small files of each
/// format. AFL keeps what reaches new code; the seeds are kept small (at most 64 KiB each) so it mutates fast.</summary>
internal static class Seeds
{
    private const int MaxBytes = 64 * 1024;

    public static void Write(string root)
    {
        var transcripts = Transcript.All().ToList();
        foreach (var t in transcripts)
        {
            var name = t.Name.Replace('/', '_');
            foreach (var (e, i) in t.Exchanges.Select((e, i) => (e, i)))
            {
                if (e.Chunks is { Count: > 0 } chunks)
                    Put(root, t.Client == "ollama" ? "ndjson" : "sse", $"{name}-{i}", Encoding.UTF8.GetBytes(string.Concat(chunks.Select(c => c.Bytes))));
                if (e.Path == "/metrics" && e.Body is { } body) Put(root, "prometheus", $"{name}-{i}", Encoding.UTF8.GetBytes(body));
            }
        }
        Put(root, "jsonl", "fields", Encoding.UTF8.GetBytes(
            "{\"id\": \"a1\", \"problem\": \"What is 3+4?\", \"answer\": 7, \"subject\": \"math\", \"grader\": \"numeric:0.01\"}\n" +
            "{\"question\": \"Largest planet?\", \"answer\": \"Jupiter\", \"metadata\": {\"level\": 2}}\n"));
        Put(root, "jsonl", "messages", Encoding.UTF8.GetBytes(
            "{\"messages\": [{\"role\": \"system\", \"content\": \"Short answers.\"}, {\"role\": \"user\", \"content\": \"Hello \\u00e9\"}], \"reference\": \"hi\"}\n" +
            "{\"prompt\": \"count\", \"max_tokens\": 8, \"answer\": null}\n"));
        Put(root, "csv", "comma", Encoding.UTF8.GetBytes("id,question,answer,subject\nc1,\"What is 6, times 7?\",42,math\nc2,\"Echo \"\"x\"\"\",x,chat\n"));
        Put(root, "csv", "semicolon", Encoding.UTF8.GetBytes("prompt;reference\nfirst;1\n\"two\nlines\";2\n"));
        Put(root, "sharegpt", "conversations", Encoding.UTF8.GetBytes(
            "[{\"id\": \"s1\", \"conversations\": [{\"from\": \"human\", \"value\": \"Name a fruit\"}, {\"from\": \"gpt\", \"value\": \"apple\"}]}," +
            " {\"id\": \"s2\", \"conversations\": [{\"from\": \"system\", \"value\": \"Be terse.\"}, {\"from\": \"human\", \"value\": \"2+2?\"}, {\"from\": \"gpt\", \"value\": \"4\"}]}]"));
        Put(root, "hf-arrow", "questions", ArrowFile());
        Put(root, "hf-parquet", "questions", ParquetFile());
        Put(root, "summary-json", "completed", Encoding.UTF8.GetBytes(SummaryFile.Serialize(new RunSummary
        {
            SchemaVersion = RunSummary.CurrentSchema,
            IpwVersion = "0.1.0",
            Status = "completed",
            DurationS = 3.5,
            Config = new RunConfig { Client = "vllm", Model = "m", Percentiles = [50, 99], RatePerS = double.PositiveInfinity, SloMs = new() { ["ttft"] = 100 } },
            Counts = new CountsSection(4, 4, 3, 1, new() { ["timeout"] = 1 }),
            Energy = new EnergySection { Available = true, Source = "nvml", GrossJ = 12.5 },
            Resumes = [new ResumeSection("2026-12-05T10:00:00Z", 2, 1, "interrupted", 1.5, 1.2)],
        })));
        Put(root, "plugins-json", "manifest", Encoding.UTF8.GetBytes(
            "{\n  // a comment\n  \"plugins\": [\"plugins/A/A.dll\", \"~/b.dll\"],\n  \"dropInFolders\": [\"~/.ipw/plugins\"],\n}\n"));
        Put(root, "run-data", "two-records", RunDataFile());
        Put(root, "powermetrics", "sample", Encoding.UTF8.GetBytes(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n<key>elapsed_ns</key><integer>100000000</integer>\n" +
            "<key>processor</key>\n<dict>\n<key>cpu_power</key><real>2500.5</real>\n<key>ane_power</key><real>0</real>\n</dict>\n" +
            "<key>gpu</key>\n<dict>\n<key>gpu_power</key><real>800</real>\n</dict>\n</dict>\n</plist>\n"));
        Put(root, "gguf", "two-tensors", GgufFile());
        Put(root, "safetensors", "four-tensors", SafetensorsFile());
        Put(root, "prometheus-api", "dcgm-rapl-ipw", Encoding.UTF8.GetBytes("""
            {"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION","gpu":"0","Hostname":"node-a","job":"dcgm","instance":"node-a:9400"},"value":[1764979200.123,"123456789"]},
            {"metric":{"__name__":"DCGM_FI_DEV_POWER_USAGE","gpu":"1","Hostname":"node-a"},"value":[1764979200.123,"301.5"]},
            {"metric":{"__name__":"node_rapl_package_joules_total","index":"0","instance":"node-b:9100"},"value":[1764979200.1,"88123.25"]},
            {"metric":{"__name__":"ipw_energy_joules_total","node":"node-c","metric":"cpu","additive":"false"},"value":[1764979200.2,"NaN"]}]}}
            """));
        Put(root, "prometheus-api", "error", Encoding.UTF8.GetBytes("""{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"""));
    }

    /// <summary>A GGUF v3 file as llama.cpp's writer lays it out: key/values (a string array among them), two tensor
    /// infos (F32 and Q8_0), padding to the alignment, the tensors' bytes.</summary>
    private static byte[] GgufFile()
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        void Str(string v)
        {
            w.Write((ulong)Encoding.UTF8.GetByteCount(v));
            w.Write(Encoding.UTF8.GetBytes(v));
        }
        void Pad()
        {
            while (ms.Position % 32 != 0) w.Write((byte)0);
        }
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write(2UL);
        w.Write(4UL);
        Str("general.architecture"); w.Write(8u); Str("llama");
        Str("general.alignment"); w.Write(4u); w.Write(32u);
        Str("llama.rope.freq_base"); w.Write(6u); w.Write(10000f);
        Str("tokenizer.ggml.tokens"); w.Write(9u); w.Write(8u); w.Write(3UL); Str("a"); Str("b"); Str("<s>");
        Str("norm.weight"); w.Write(1u); w.Write(4UL); w.Write(0u); w.Write(0UL);
        Str("embd.weight"); w.Write(2u); w.Write(32UL); w.Write(2UL); w.Write(8u); w.Write(32UL);
        Pad();
        w.Write(new byte[32 + 2 * 34]);
        Pad();
        return ms.ToArray();
    }

    private static byte[] SafetensorsFile()
    {
        var header = Encoding.UTF8.GetBytes("""
            {"__metadata__":{"format":"pt"},"wte":{"dtype":"BF16","shape":[4,3],"data_offsets":[0,24]},"ln.bias":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},"packed":{"dtype":"F4","shape":[2,3],"data_offsets":[36,39]}}
            """);
        var bytes = new byte[8 + header.Length + 39];
        BitConverter.TryWriteBytes(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static void Put(string root, string target, string name, byte[] bytes)
    {
        if (bytes.Length == 0 || bytes.Length > MaxBytes) return;
        var folder = Path.Combine(root, target);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name), bytes);
    }

    private static byte[] ArrowFile()
    {
        var schema = new Schema([new Apache.Arrow.Field("question", StringType.Default, true), new Apache.Arrow.Field("answer", StringType.Default, true), new Apache.Arrow.Field("level", Int64Type.Default, true)], null);
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, schema, leaveOpen: true))
        {
            using var batch = new RecordBatch(schema,
            [
                new StringArray.Builder().Append("What is 1+1?").Append("Capital of Italy?").Build(),
                new StringArray.Builder().Append("2").AppendNull().Build(),
                new Int64Array.Builder().Append(1).Append(2).Build(),
            ], 2);
            writer.WriteStart();
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        return stream.ToArray();
    }

    private static byte[] ParquetFile()
    {
        var schema = new ParquetSchema(new DataField<string>("question"), new DataField<string>("answer"));
        var rows = Enumerable.Range(0, 3).Select(i => (IDictionary<string, object?>)new Dictionary<string, object?> { ["question"] = $"Q{i}?", ["answer"] = $"{i}" }).ToList();
        using var stream = new MemoryStream();
        ParquetSerializer.SerializeUntypedAsync(rows, schema, stream).GetAwaiter().GetResult();
        return stream.ToArray();
    }

    private static byte[] RunDataFile()
    {
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, RecordSchema.Layout.Schema, leaveOpen: true))
        {
            using var batch = RecordSchema.Layout.Batch([
                QueryRecord.Of(RecordColumns.QueryIndex.With(0L), RecordColumns.Prompt.With("p"), RecordColumns.Response.With("r"), RecordColumns.EnergyJ.With(1.5)),
                QueryRecord.Of(RecordColumns.QueryIndex.With(1L), RecordColumns.Status.With("timeout"), RecordColumns.E2eLatencyS.With(2.0)),
            ]);
            writer.WriteStart();
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        return stream.ToArray();
    }
}
