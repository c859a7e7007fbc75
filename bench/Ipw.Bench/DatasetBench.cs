using System.Diagnostics;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using Field = Apache.Arrow.Field;

/// <summary>Loading and iterating large datasets in every file format (rows per second and peak memory), and the
/// generation of the built-in workload.</summary>
internal static class DatasetBench
{
    public static void Run(string format, int rows)
    {
        var dir = Directory.CreateTempSubdirectory("ipw-bench-datasets-").FullName;
        try
        {
            var registries = new Ipw.Core.Plugins.PluginRegistries();
            registries.RegisterInProcess(new Ipw.Plugins.Datasets.DatasetsPlugin());
            if (format is "ipw" or "all") Workload(registries);
            foreach (var f in format == "all" ? ["jsonl", "csv", "hf", "parquet"] : new[] { format })
            {
                if (f == "ipw") continue;
                var path = Write(f, dir, rows);
                var size = Directory.Exists(path) ? Directory.EnumerateFiles(path).Sum(p => new FileInfo(p).Length) : new FileInfo(path).Length;
                var name = f is "parquet" ? "hf" : f;
                foreach (var shuffle in new[] { false, true }) Measure(registries, name, f, path, size, shuffle);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Problem(int i) => $"What is {i} plus {i % 97}? Answer with the number only.";

    /// <summary>A million-row file of about 150 bytes a row: problem, answer, subject (and a nested metadata record
    /// in the Arrow and Parquet files, the reference tool's layout).</summary>
    private static string Write(string format, string dir, int rows)
    {
        switch (format)
        {
            case "jsonl":
                {
                    var path = Path.Combine(dir, "big.jsonl");
                    using var w = new StreamWriter(path);
                    for (var i = 0; i < rows; i++)
                        w.WriteLine($$"""{"id": "r{{i}}", "problem": "{{Problem(i)}}", "answer": {{i + i % 97}}, "subject": "math"}""");
                    return path;
                }
            case "csv":
                {
                    var path = Path.Combine(dir, "big.csv");
                    using var w = new StreamWriter(path);
                    w.WriteLine("id,problem,answer,subject");
                    for (var i = 0; i < rows; i++) w.WriteLine($"r{i},\"{Problem(i)}\",{i + i % 97},math");
                    return path;
                }
            case "hf":
                {
                    // save_to_disk: Arrow stream files of 1,000-row batches, listed in state.json.
                    var path = Path.Combine(dir, "big-hf");
                    Directory.CreateDirectory(path);
                    var meta = new StructType([new Field("level", Int64Type.Default, true), new Field("source", StringType.Default, true)]);
                    var schema = new Apache.Arrow.Schema([new Field("id", StringType.Default, true), new Field("problem", StringType.Default, true),
                    new Field("answer", StringType.Default, true), new Field("subject", StringType.Default, true), new Field("metadata", meta, true)], null);
                    using (var stream = File.Create(Path.Combine(path, "data-00000-of-00001.arrow")))
                    using (var writer = new ArrowStreamWriter(stream, schema))
                    {
                        for (var start = 0; start < rows; start += 1000)
                        {
                            var ids = Enumerable.Range(start, Math.Min(1000, rows - start)).ToArray();
                            writer.WriteRecordBatch(new RecordBatch(schema, [
                                new StringArray.Builder().AppendRange(ids.Select(i => $"r{i}")).Build(),
                            new StringArray.Builder().AppendRange(ids.Select(Problem)).Build(),
                            new StringArray.Builder().AppendRange(ids.Select(i => $"{i + i % 97}")).Build(),
                            new StringArray.Builder().AppendRange(ids.Select(_ => "math")).Build(),
                            new StructArray(meta, ids.Length, [
                                new Int64Array.Builder().AppendRange(ids.Select(i => (long)(i % 5))).Build(),
                                new StringArray.Builder().AppendRange(ids.Select(_ => "bench")).Build()], ArrowBuffer.Empty)], ids.Length));
                        }
                        writer.WriteEnd();
                    }
                    File.WriteAllText(Path.Combine(path, "state.json"), """{"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}""");
                    return path;
                }
            default:
                {
                    var path = Path.Combine(dir, "big.parquet");
                    var schema = new ParquetSchema(new DataField<string>("id"), new DataField<string>("problem"), new DataField<string>("answer"),
                        new DataField<string>("subject"), new StructField("metadata", new DataField<long>("level"), new DataField<string>("source")));
                    using var stream = File.Create(path);
                    var options = new ParquetOptions();
                    for (var start = 0; start < rows; start += 100_000)
                    {
                        var chunk = Enumerable.Range(start, Math.Min(100_000, rows - start)).Select(i => (IDictionary<string, object?>)new Dictionary<string, object?>
                        {
                            ["id"] = $"r{i}",
                            ["problem"] = Problem(i),
                            ["answer"] = $"{i + i % 97}",
                            ["subject"] = "math",
                            ["metadata"] = new Dictionary<string, object?> { ["level"] = (long)(i % 5), ["source"] = "bench" },
                        }).ToList();
                        ParquetSerializer.SerializeUntypedAsync(chunk, schema, stream, options).GetAwaiter().GetResult();
                        options = new ParquetOptions { Append = true }; // one row group of 100,000 rows per call
                    }
                    return path;
                }
        }
    }

    private static void Measure(Ipw.Core.Plugins.PluginRegistries registries, string name, string label, string path, long size, bool shuffle)
    {
        GC.Collect();
        var before = Environment.WorkingSet;
        var sw = Stopwatch.StartNew();
        var settings = new Dictionary<string, string> { ["grader"] = "numeric" };
        if (shuffle) settings["shuffle"] = "true";
        var dataset = registries.Datasets.Resolve(name).Descriptor.Create(new Ipw.Abstractions.DatasetOptions(path, settings));
        var check = sw.Elapsed;
        long n = 0, chars = 0, peak = Environment.WorkingSet;
        foreach (var item in dataset.Items())
        {
            n++;
            chars += item.Prompt.Length;
            if (n % 100_000 == 0) peak = Math.Max(peak, Environment.WorkingSet);
        }
        var iterate = sw.Elapsed - check;
        Console.WriteLine($"{label} {(shuffle ? "shuffled" : "in order")}, {n:N0} rows ({size / 1048576.0:F0} MiB): "
            + $"{(shuffle ? "check + write the shuffle" : "check")} {check.TotalSeconds:F2} s ({n / check.TotalSeconds / 1000:F0} k rows/s), "
            + $"iterate {iterate.TotalSeconds:F2} s ({n / iterate.TotalSeconds / 1000:F0} k rows/s); "
            + $"RSS {before / 1048576.0:F0} MiB before, at most {peak / 1048576.0:F0} MiB while iterating");
    }

    private static void Workload(Ipw.Core.Plugins.PluginRegistries registries)
    {
        var ipw = registries.Datasets.Resolve("ipw").Descriptor;
        var times = new List<double>();
        for (var k = 0; k < 6; k++)
        {
            var sw = Stopwatch.StartNew();
            var count = ipw.Create(new Ipw.Abstractions.DatasetOptions(null, new Dictionary<string, string>())).Items().Count();
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (count != 1000) throw new InvalidOperationException($"ipw workload has {count} items");
        }
        Console.WriteLine($"ipw workload: 1,000 items generated in {times[0]:F0} ms cold, {times.Skip(1).Order().ElementAt(2):F1} ms median of 5 warm runs");
    }
}
