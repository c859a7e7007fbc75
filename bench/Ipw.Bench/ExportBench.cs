using System.Diagnostics;
using Ipw.Abstractions;
using Ipw.Core.Records;
using Ipw.Core.Runs;

/// <summary>A synthetic run of many queries (text with commas and quotes, a list of gaps per query, energy missing in
/// some rows), then `ipw export` in each format as a user runs it: wall time, peak memory of the whole process, and the
/// file's size.</summary>
internal static class ExportBench
{
    public static void Run(string ipw, int queries)
    {
        var dir = Directory.CreateTempSubdirectory("ipw-bench-export-").FullName;
        try
        {
            var sw = Stopwatch.StartNew();
            var path = Environment.GetEnvironmentVariable("IPW_BENCH_RUN") ?? Write(dir, queries);
            var data = new FileInfo(Path.Combine(path, RunStore.DataFileName)).Length;
            Console.WriteLine($"export: a {queries:N0}-query run ({data / 1048576.0:F0} MiB data file) ready in {sw.Elapsed.TotalSeconds:F1} s");
            foreach (var format in new[] { "csv", "jsonl", "parquet" })
            {
                for (var k = 0; k < 3; k++)
                {
                    var (wall, peak, output) = AnalyzeBench.Measure(ipw, ["export", path, "--format", format]);
                    var file = new FileInfo(Path.Combine(path, "export", $"records.{format}"));
                    if (!file.Exists) throw new InvalidOperationException($"ipw export --format {format} wrote nothing: {output}");
                    Console.WriteLine($"export {format} {queries:N0} queries: {wall:F2} s wall, peak RSS {peak / 1024.0:F0} MiB, {file.Length / 1048576.0:F0} MiB");
                }
            }
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("IPW_BENCH_KEEP") is null) Directory.Delete(dir, recursive: true);
            else Console.WriteLine($"kept {dir}");
        }
    }

    private static string Write(string dir, int queries)
    {
        using var run = RunStore.Create(dir, "bench-hw", "bench-model");
        var rng = new Random(5);
        var batch = new List<QueryRecord>(2048);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < queries; i++)
        {
            var output = 1 + rng.Next(16);
            var gaps = new double[output - 1];
            for (var g = 0; g < gaps.Length; g++) gaps[g] = 0.01 + 0.002 * rng.NextDouble();
            var e2e = 0.05 + gaps.Sum();
            double? energy = i % 50 == 0 ? null : 20 * e2e * (1 + 0.1 * rng.NextDouble());
            batch.Add(QueryRecord.Of(
                RecordColumns.QueryIndex.With(i),
                RecordColumns.ItemId.With($"q{i}"),
                RecordColumns.Dataset.With("bench"),
                RecordColumns.Subject.With("math"),
                RecordColumns.Client.With("bench"),
                RecordColumns.Model.With("bench-model"),
                RecordColumns.Prompt.With($"Question {i}: what is {rng.Next(1000)} + {rng.Next(1000)}, \"exactly\"?\nAnswer with the number only."),
                RecordColumns.Response.With(i % 7 == 0 ? "" : $"{rng.Next(2000)}"),
                RecordColumns.Status.With("ok"),
                RecordColumns.InputTokens.With(20 + rng.Next(40)),
                RecordColumns.OutputTokens.With(output),
                RecordColumns.StartedAt.With(start.AddSeconds(0.1 * i).ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
                RecordColumns.TtftS.With(0.05),
                RecordColumns.E2eLatencyS.With(e2e),
                RecordColumns.ItlS.With(gaps),
                RecordColumns.EnergyJ.With(energy),
                RecordColumns.EnergyByDevice.With(energy is { } e ? [new DeviceEnergy("gpu0", e, null, null)] : null),
                RecordColumns.Correct.With(rng.NextDouble() < 0.5)));
            if (batch.Count == 2048) { run.Append(batch); batch.Clear(); }
        }
        if (batch.Count > 0) run.Append(batch);
        run.WriteSummary(new Ipw.Core.Summary.RunSummary { Status = "completed", Counts = new(queries, queries, queries, 0, null) });
        return run.Path;
    }
}
