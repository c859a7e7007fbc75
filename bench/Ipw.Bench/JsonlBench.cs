using System.Diagnostics;

/// <summary>Loading and iterating a large JSON Lines dataset: rows per second and peak memory.</summary>
internal static class JsonlBench
{
    public static void Run(int rows)
    {
        // About 150 bytes a row; checked in one streaming pass, then iterated in order and shuffled.
        var dir = Directory.CreateTempSubdirectory("ipw-bench-jsonl-").FullName;
        try
        {
            var path = Path.Combine(dir, "big.jsonl");
            using (var w = new StreamWriter(path))
            {
                for (var i = 0; i < rows; i++)
                    w.WriteLine($$"""{"id": "r{{i}}", "problem": "What is {{i}} plus {{i % 97}}? Answer with the number only.", "answer": {{i + i % 97}}, "subject": "math"}""");
            }
            var size = new FileInfo(path).Length;
            var registries = new Ipw.Core.Plugins.PluginRegistries();
            registries.RegisterInProcess(new Ipw.Plugins.Datasets.DatasetsPlugin());
            var jsonl = registries.Datasets.Resolve("jsonl").Descriptor;
            foreach (var shuffle in new[] { false, true })
            {
                GC.Collect();
                var before = Environment.WorkingSet;
                var sw = Stopwatch.StartNew();
                var settings = new Dictionary<string, string> { ["grader"] = "numeric" };
                if (shuffle) settings["shuffle"] = "true";
                var dataset = jsonl.Create(new Ipw.Abstractions.DatasetOptions(path, settings));
                var check = sw.Elapsed;
                long n = 0, chars = 0, peak = 0;
                foreach (var item in dataset.Items())
                {
                    n++;
                    chars += item.Prompt.Length;
                    if (n % 100_000 == 0) peak = Math.Max(peak, Environment.WorkingSet);
                }
                var iterate = sw.Elapsed - check;
                Console.WriteLine($"jsonl {(shuffle ? "shuffled" : "in order")}, {n:N0} rows ({size / 1048576.0:F0} MiB): check {check.TotalSeconds:F2} s "
                    + $"({n / check.TotalSeconds / 1000:F0} k rows/s), iterate {iterate.TotalSeconds:F2} s ({n / iterate.TotalSeconds / 1000:F0} k rows/s); "
                    + $"RSS {before / 1048576.0:F0} MiB before, at most {peak / 1048576.0:F0} MiB while iterating");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
