using System.Globalization;
using System.Text;
using Ipw.Attribution;
using Ipw.Core.Energy;
using Ipw.Testing;

/// <summary>
/// Per-query active energy against the scripted ground truth (<see cref="GroundTruth"/>: 60 W idle, each request
/// 200 W more in prefill and 80 W in decode, through the NVML stand-in), for each attribution method × concurrency ×
/// counter period and jitter × idle drift: median, p95 and max relative error, the share of queries within their own
/// <c>active_energy_j_err</c>, and the books (shares + unattributed − gross). Prints a Markdown table; with
/// <c>--update-docs</c> it replaces docs/energy.md's table between its markers, so the published figures are this
/// benchmark's output.
/// </summary>
internal static class EnergyTruthBench
{
    private const string Begin = "<!-- energy-truth:begin -->", End = "<!-- energy-truth:end -->";

    public static void Run(string root, bool updateReadme)
    {
        var table = new StringBuilder();
        table.AppendLine("| method | concurrency | counter | idle | queries | median | p95 | max | within ±err | books (J) |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (stepMs, jitterMs) in new[] { (20.0, 0.0), (100.0, 10.0) })
        {
            var truth = GroundTruth.StartAsync(NativeEnvironment.StandinLibrary("nvml-standin/libnvidia-ml.so.1", root), stepMs, jitterMs).GetAwaiter().GetResult();
            try
            {
                foreach (var (c, n) in new[] { (1, 8), (8, 32), (32, 96) })
                    foreach (var method in new[] { AttributionMethod.Overlap, AttributionMethod.Phase, AttributionMethod.Fitted })
                        Row(table, truth, method, c, n, stepMs, jitterMs, drift: false);
                foreach (var method in new[] { AttributionMethod.Overlap, AttributionMethod.Fitted })
                    Row(table, truth, method, 8, 32, stepMs, jitterMs, drift: true);
            }
            finally
            {
                truth.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        Console.Write(table);
        if (!updateReadme) return;
        var path = Path.Combine(root, "docs", "energy.md");
        var readme = File.ReadAllText(path);
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        if (start < 0 || end < start) throw new InvalidOperationException($"docs/energy.md has no {Begin} ... {End} section");
        File.WriteAllText(path, readme[..(start + Begin.Length)] + "\n" + table + readme[end..]);
        Console.WriteLine("docs/energy.md updated");
    }

    private static void Row(StringBuilder table, GroundTruth truth, AttributionMethod method, int c, int n, double stepMs, double jitterMs, bool drift)
    {
        var r = truth.RunAsync(c, method, n, observer: drift ? new OnMeasuring(() => truth.SetIdleDrift(30)) : null).GetAwaiter().GetResult();
        truth.SetIdleDrift(0);
        var books = r.Energy.GetProperty("conservation_error_j").GetDouble();
        var counter = jitterMs > 0 ? $"{stepMs:0} ms ± {jitterMs:0}" : $"{stepMs:0} ms";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"| {method.ToString().ToLowerInvariant()} | {c} | {counter} | {(drift ? "60 → 90 W step" : "steady")} | {r.Errors.Count} | "
            + $"{r.Median:P2} | {r.Percentile(0.95):P2} | {r.Errors.Max():P2} | {r.Covered:P0} | {books:0.0e+0} |");
        Console.WriteLine(line);
        table.AppendLine(line);
    }

    private sealed class OnMeasuring(Action action) : Ipw.Core.Profiling.IProfileObserver
    {
        void Ipw.Core.Profiling.IProfileObserver.OnMeasuring() => action();
    }
}
